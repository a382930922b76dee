// First: the bundled code's import.meta resolves through it (see release-files.ts).
import './release-files.js';
import { runCli } from '../cli.js';

/**
 * The release executable's entry (a Node single-executable application, built by
 * release/build-release.mjs): index.ts without its top-level await, which a SEA's CommonJS
 * main cannot hold.
 */
void runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
