import { expect } from 'vitest';
import { type ErrorCode, isConvoyError } from '../errors.js';

/**
 * Awaits `promise` and expects it to fail with a ConvoyError of `code` whose message mentions
 * each of `mentions`; returns the error for further checks. The one helper the compliance
 * suites and the engine's tests share for refusals that arrive as rejections.
 */
export async function expectCode(promise: Promise<unknown>, code: ErrorCode, ...mentions: string[]): Promise<Error> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isConvoyError(err, code), `expected ${code}, got ${String(err)}`).toBe(true);
  for (const text of mentions) expect((err as Error).message).toContain(text);
  return err as Error;
}
