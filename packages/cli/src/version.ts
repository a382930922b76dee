import { readFileSync } from 'node:fs';

/** Set by the builds that bundle the CLI (tsup.config.ts, release/bundle.mjs), so no start reads package.json. */
declare const CONVOY_RELEASE_VERSION: string | undefined;

/** The package version; src/ and dist/ both sit one level below package.json. */
export const CONVOY_VERSION: string =
  typeof CONVOY_RELEASE_VERSION === 'string'
    ? CONVOY_RELEASE_VERSION
    : (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
