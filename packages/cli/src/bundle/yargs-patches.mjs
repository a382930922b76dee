// @ts-check
/**
 * Work yargs does at every run that `convoy` never uses, taken out when the CLI is bundled: by
 * the package's build (tsup.config.ts) and by the release executable's (release/bundle.mjs).
 * Each patch fails the build when yargs no longer holds the code it replaces, so an upgrade
 * cannot drop one silently.
 *
 * - Version guess: every `yargs()` sets a default `--version` by walking up from the running
 *   code to the nearest package.json and reading it (in the executable, from whatever directory
 *   the user is in); cli.ts always names the version.
 * - Help cache: after starting a command's handler, yargs lays out that command's whole help
 *   text, in case something shows help once the command has run; wrapping and measuring it was
 *   a sixth of `convoy list`'s own time. cli.ts never does: its fail handler throws, and help
 *   is only printed for --help, before any handler, so nothing is cached.
 */
import { readFileSync } from 'node:fs';

const PATCHES = [
  {
    file: /[/\\]yargs[/\\]build[/\\]lib[/\\]yargs-factory\.js$/,
    what: 'guesses its version',
    code: /(\[kGuessVersion\]\(\) \{)\s*const obj = this\[kPkgUp\]\(\);\s*return obj\.version \|\| 'unknown';/,
    by: "$1 return 'unknown';",
  },
  {
    file: /[/\\]yargs[/\\]build[/\\]lib[/\\]usage\.js$/,
    what: 'caches the help text after a command runs',
    code: /(self\.cacheHelpMessage = function \(\) \{)\s*cachedHelpMessage = this\.help\(\);/,
    by: '$1',
  },
];

/** The esbuild plugin applying PATCHES. */
export function yargsPatches() {
  return {
    name: 'yargs-patches',
    /** @param {{ onLoad(options: { filter: RegExp }, load: (args: { path: string }) => { contents: string, loader: 'js' } | undefined): void }} build */
    setup(build) {
      for (const patch of PATCHES) {
        build.onLoad({ filter: patch.file }, (args) => {
          const source = readFileSync(args.path, 'utf8');
          if (!patch.code.test(source))
            throw new Error(`yargs's ${args.path} no longer ${patch.what} as packages/cli/src/bundle/yargs-patches.mjs expects: update it`);
          return { contents: source.replace(patch.code, patch.by), loader: 'js' };
        });
      }
    },
  };
}
