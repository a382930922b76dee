import { ConvoyError } from '@convoy/core/lite';
import { ConvoyClient } from '@convoy/plugin-server/client';
import yargs, { type ArgumentsCamelCase, type Argv } from 'yargs';
import { cancelOnInterrupt, INTERRUPTED_EXIT } from './cancel-on-interrupt.js';
import { type CommandRunner, type GlobalArgs, socketOf } from './command-context.js';
import { COMMANDS } from './commands/index.js';
import { registerCommands } from './commands/register.js';
import { defaultSocket } from './defaults.js';
import { didYouMean } from './did-you-mean.js';
import { type CliIO, outputMode, Printer } from './printer.js';
import { CONVOY_VERSION } from './version.js';

/** Usage mistakes (unknown flag, missing argument) exit with 2; failed operations with 1. */
const USAGE_EXIT = 2;

class UsageError extends Error {}

const PIPED_HELP_WIDTH = 80;
const MAX_HELP_WIDTH = 120;

const wantsHelp = (argv: readonly string[]) => argv.includes('--help') || argv.includes('-h');

/** `convoy daemon` answers its own signals (daemon/stop-signal.ts): there Ctrl-C stops the daemon, it cancels no call. */
const runsTheDaemon = (args: ArgumentsCamelCase): boolean => args._[0] === 'daemon';

const processIO: CliIO = { stdout: process.stdout, stderr: process.stderr };

/**
 * Runs one `convoy` command line and returns its exit code. Everything is printed through `io`,
 * so the same code serves the binary and in-process tests.
 */
export async function runCli(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  let exitCode = 0;
  let lastArgs: Pick<GlobalArgs, 'json' | 'table'> = { json: argv.includes('--json'), table: argv.includes('--table') };
  const run: CommandRunner = {
    action: (handler) => async (args) => {
      const global = args as unknown as GlobalArgs;
      lastArgs = global;
      const out = new Printer(io, outputMode(global, io.stdout));
      try {
        const body = (client: ConvoyClient) => handler(args as never, { client, out });
        const run = async () => {
          await body(new ConvoyClient(socketOf(global)));
          return { interrupted: false };
        };
        const { interrupted } = runsTheDaemon(args)
          ? await run()
          : await cancelOnInterrupt(socketOf(global), { detach: global.detach, stderr: io.stderr, onInterrupt: () => out.endProgress() }, body);
        exitCode = interrupted ? INTERRUPTED_EXIT : out.exitCode;
      } catch (err) {
        exitCode = out.failure(err);
      }
    },
  };

  let parser: Argv<GlobalArgs> = yargs([...argv])
    .scriptName('convoy')
    .usage('$0 <command> [options]\n\nConvoy: thin-provisioned Docker volumes with snapshots and incremental backups to S3 or a directory.')
    .option('socket', { alias: 's', type: 'string', describe: `the daemon's unix socket (default ${defaultSocket()})`, global: true })
    .option('json', { type: 'boolean', default: false, describe: 'always print JSON on stdout (errors too, as {"Error", "error"})', global: true })
    .option('table', { type: 'boolean', default: false, describe: 'print readable tables even when stdout is not a terminal', global: true })
    .option('verbose', {
      type: 'boolean',
      default: false,
      describe: "Go Convoy's switch: create, mount, snapshot create and backup create print JSON, not a bare name",
      global: true,
    })
    .option('detach', {
      type: 'boolean',
      default: false,
      describe: 'on Ctrl-C or a lost connection the daemon finishes the operation (as Go Convoy did) instead of cancelling it',
      global: true,
    })
    .option('debug', {
      alias: 'd',
      type: 'boolean',
      default: false,
      describe: "accepted from Go Convoy's scripts; no effect (the daemon's --log-level sets logging)",
      global: true,
    })
    .epilogue(
      'Output: on a terminal, readable tables; otherwise exactly what Go Convoy printed (its JSON for info, list, inspect, ' +
        'snapshot inspect, backup list and backup inspect; the bare name, path or URL for create, mount, snapshot create and ' +
        'backup create), so scripts written for Go Convoy keep working. --json and --table force one or the other.',
    )
    .version(CONVOY_VERSION)
    .help()
    .alias('help', 'h')
    .strict()
    // A mistyped command gets the nearest one (did-you-mean.ts).
    .recommendCommands()
    .exitProcess(false)
    // yargs lays out a command's whole help after every run; wrapping it is the costly part, so
    // text is wrapped only when help is asked for: to the terminal (at most 120 columns), or to
    // 80 columns when piped.
    .wrap(wantsHelp(argv) ? Math.min(MAX_HELP_WIDTH, io.stdout.columns ?? PIPED_HELP_WIDTH) : null)
    .fail((message, err) => {
      throw err ?? new UsageError(didYouMean(message, argv) ?? message);
    });
  // The drivers' option listing loads the drivers: only for `convoy daemon --help`.
  const driverHelp = wantsHelp(argv) && argv.includes('daemon') ? (await import('./daemon/driver-options-help.js')).driverOptionsHelp() : '';
  parser = registerCommands(parser, run, COMMANDS, { driverHelp }).demandCommand(1, 'name a command (convoy --help lists them)');

  try {
    await parser.parseAsync([...argv], {}, (_err, _args, output) => {
      if (output) new Printer(io, 'table').text(output);
    });
  } catch (err) {
    const printer = new Printer(io, outputMode(lastArgs, io.stdout));
    if (err instanceof UsageError) return printer.failure(new ConvoyError('INVALID_ARGUMENT', `${err.message} (see convoy --help)`), USAGE_EXIT);
    return printer.failure(err);
  }
  return exitCode;
}
