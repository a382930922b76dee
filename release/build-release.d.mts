// Types of build-release.mjs (plain JavaScript, so that `pnpm release` needs only node) for its tests.
export function releaseName(): { version: string; name: string };
export function buildRelease(opts?: { outDir?: string; node?: string }): Promise<string>;
export function releaseTarballFor(given: string | undefined, outDir: string): Promise<string>;
