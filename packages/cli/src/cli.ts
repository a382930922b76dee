import yargs, { type Argv } from 'yargs';
import { ConvoyError } from '@convoy/core';
import { clientFor, type CommandRunner, type GlobalArgs } from './command-context.js';
import { backupCommands } from './commands/backup-commands.js';
import { daemonCommand } from './commands/daemon-command.js';
import { scheduleCommands } from './commands/schedule-commands.js';
import { snapshotCommands } from './commands/snapshot-commands.js';
import { volumeCommands } from './commands/volume-commands.js';
import { defaultSocket } from './defaults.js';
import { Printer, type CliIO } from './printer.js';
import { CONVOY_VERSION } from './version.js';

/** Usage mistakes (unknown flag, missing argument) exit with 2; failed operations with 1. */
const USAGE_EXIT = 2;

class UsageError extends Error {}

const processIO: CliIO = { stdout: process.stdout, stderr: process.stderr };

/**
 * Runs one `convoy` command line and returns its exit code. Everything is printed through `io`,
 * so the same code serves the binary and in-process tests.
 */
export async function runCli(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  let exitCode = 0;
  let lastArgs: GlobalArgs = { json: argv.includes('--json') };
  const run: CommandRunner = {
    action: (handler) => async (args) => {
      const global = args as unknown as GlobalArgs;
      lastArgs = global;
      const out = new Printer(io, global.json);
      try {
        await handler(args as never, { client: clientFor(global), out });
        exitCode = out.exitCode;
      } catch (err) {
        exitCode = out.failure(err);
      }
    },
  };

  let parser: Argv<GlobalArgs> = yargs([...argv])
    .scriptName('convoy')
    .usage('$0 <command> [options]\n\nConvoy: thin-provisioned Docker volumes with snapshots and incremental backups to S3 or a directory.')
    .option('socket', { type: 'string', describe: `the daemon's unix socket (default ${defaultSocket()})`, global: true })
    .option('json', { type: 'boolean', default: false, describe: 'print JSON on stdout (errors too)', global: true })
    .version(CONVOY_VERSION)
    .help()
    .alias('help', 'h')
    .strict()
    .exitProcess(false)
    .wrap(Math.min(110, io.stdout.columns ?? 100))
    .fail((message, err) => {
      throw err ?? new UsageError(message);
    });
  parser = daemonCommand(parser, run);
  parser = volumeCommands(parser, run);
  parser = snapshotCommands(parser, run);
  parser = backupCommands(parser, run);
  parser = scheduleCommands(parser, run);
  parser = parser.demandCommand(1, 'name a command (convoy --help lists them)');

  try {
    await parser.parseAsync([...argv], {}, (_err, _args, output) => {
      if (output) new Printer(io, false).text(output);
    });
  } catch (err) {
    const printer = new Printer(io, lastArgs.json);
    if (err instanceof UsageError) return printer.failure(new ConvoyError('INVALID_ARGUMENT', `${err.message} (see convoy --help)`), USAGE_EXIT);
    return printer.failure(err);
  }
  return exitCode;
}
