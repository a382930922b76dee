import { describe } from 'vitest';

/** True under CI, where an end-to-end test must never skip. */
export const inCI = process.env.CI === 'true' || process.env.CI === '1';

/**
 * Describes an end-to-end suite that needs something outside Node (dockerd, a dm-thin kernel).
 * Where it is missing: under CI the suite fails loudly; elsewhere it is skipped with a message
 * saying what to install.
 */
export function describeNeeding(what: { available: boolean; name: string; install: string }, title: string, body: () => void): void {
  if (what.available) {
    describe(title, body);
    return;
  }
  if (inCI) {
    describe(title, () => {
      throw new Error(`${what.name} is required in CI but is missing: ${what.install}`);
    });
    return;
  }
  console.warn(`skipping "${title}": ${what.name} is not available here (${what.install})`);
  describe.skip(title, body);
}
