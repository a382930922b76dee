import { runCli } from '../cli.js';

/**
 * What the release build runs before it takes the startup snapshot (sea-main.ts): one client
 * command, `convoy list` against a socket that does not exist, so that V8 has compiled the code
 * every client command runs (yargs' parsing, the command tree, the client, the printer) and the
 * snapshot keeps it compiled. Without it each start compiled that code again, a tenth of
 * `convoy list`'s CPU time.
 *
 * It must leave nothing in the snapshot that belongs to one run. Node buffers random bytes for
 * `crypto.randomUUID()`, and a buffer filled at build time would give every run of the
 * executable the same operation ids; the client's one call to it is answered here by a stand-in,
 * removed afterwards. Output goes nowhere, and the command's SIGINT handler and connection are
 * gone when it returns.
 */
export async function warmUpClient(): Promise<void> {
  const quiet = { write: () => true, isTTY: false };
  const crypto = globalThis.crypto;
  Object.defineProperty(crypto, 'randomUUID', { configurable: true, value: () => '00000000-0000-4000-8000-000000000000' });
  try {
    await runCli(['--socket', '/nonexistent/convoy-snapshot-warm-up.sock', 'list'], { stdout: quiet, stderr: quiet });
  } finally {
    delete (crypto as { randomUUID?: unknown }).randomUUID;
  }
}
