/**
 * Hands the command modules to yargs, in list order (the order `--help` shows them). Every
 * handler runs through the CommandRunner, which gives it the daemon client and the printer.
 */
import type { Argv } from 'yargs';
import type { CommandRunner, GlobalArgs } from '../command-context.js';
import type { Command, HelpExtras } from './command-module.js';

export function registerCommands(
  y: Argv<GlobalArgs>,
  run: CommandRunner,
  commands: readonly Command[],
  help: HelpExtras = { driverHelp: '' },
): Argv<GlobalArgs> {
  let parser = y;
  for (const command of commands) {
    if ('verbs' in command) {
      parser = parser.command(command.command, command.describe, (noun) =>
        registerCommands(command.builder ? command.builder(noun) : noun, run, command.verbs, help).demandCommand(1, command.demandVerb),
      );
    } else {
      parser = parser.command(
        command.command,
        command.describe,
        (c) => (command.builder ? command.builder(c, help) : c),
        run.action((args, ctx) => command.handler(args, ctx)),
      );
    }
  }
  return parser;
}
