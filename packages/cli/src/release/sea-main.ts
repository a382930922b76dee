// First: the bundled code's import.meta resolves through it (see release-files.ts).
import './release-files.js';
import './daemon-part.js';
import { startupSnapshot } from 'node:v8';
import { runCli } from '../cli.js';
import { warmUpClient } from './warm-up.js';

/**
 * The release executable's entry (a Node single-executable application, built by
 * release/build-release.mjs): index.ts without its top-level await, which a SEA's CommonJS
 * main cannot hold. The build runs this file once into a V8 startup snapshot, with every
 * module loaded and the client's code compiled (warm-up.ts), and the executable starts at `main`.
 */
function main(): void {
  // process.stdout and process.stderr as this run has them, not as the build had them.
  void runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then((code) => {
    process.exitCode = code;
  });
}

if (startupSnapshot.isBuildingSnapshot()) {
  startupSnapshot.setDeserializeMainFunction(main);
  // The snapshot is taken once the build's event loop is empty: after the warm-up.
  void warmUpClient();
} else main();
