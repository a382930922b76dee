/**
 * The shape of every `convoy` command, yargs' own: a command module is `{ command, describe,
 * builder, handler }` in one file; a noun (`backup`, `snapshot`, `schedule`) lists its verbs.
 * Files declare these as data, and register.ts is the one place that hands them to yargs.
 */
import type { Argv } from 'yargs';
import type { CommandArgs, CommandContext, GlobalArgs } from '../command-context.js';

/** Text that only `--help` needs and that is costly to make (the drivers' options of `convoy daemon --help`). */
export interface HelpExtras {
  driverHelp: string;
}

/** One runnable command; `A` states the flags its builder declares. */
export interface CommandModule<A = object> {
  /** yargs' command string: the verb and its positionals, e.g. `delete <volumes..>`. */
  command: string;
  describe: string;
  builder?: (y: Argv<GlobalArgs>, help: HelpExtras) => Argv<unknown>;
  handler(args: CommandArgs<A>, ctx: CommandContext): Promise<void>;
}

/** A noun whose verbs are commands of their own: `convoy backup create`. */
export interface NounModule {
  command: string;
  describe: string;
  /** Options every verb of the noun takes, before or after the verb. */
  builder?: (y: Argv<GlobalArgs>) => Argv<GlobalArgs>;
  verbs: readonly Command[];
  /** The refusal when no verb is given. */
  demandVerb: string;
}

export type Command = CommandModule | NounModule;
