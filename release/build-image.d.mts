// Types of build-image.mjs (plain JavaScript, run by node alone) for its tests.
export function imageTag(): string;
export function buildImage(opts: { tarball: string; contextDir: string; tag?: string; env?: NodeJS.ProcessEnv }): Promise<{ tag: string; contextBytes: number }>;
