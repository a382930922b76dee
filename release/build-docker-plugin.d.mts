// Types of build-docker-plugin.mjs (plain JavaScript, run by node alone) for its tests.
export function pluginConfig(): Record<string, unknown>;
export function buildDockerPlugin(opts: { tarball: string; outDir: string }): string;
