import type { ConvoyClient } from '@convoy/plugin-server/client';
import type { ArgumentsCamelCase } from 'yargs';
import { defaultSocket } from './defaults.js';
import type { Printer } from './printer.js';

/** Flags every command takes (Go Convoy's `--socket/-s`, `--verbose`, `--debug/-d`, and Convoy's output switches). */
export interface GlobalArgs {
  /** Absent: the default socket (defaults.ts). */
  socket?: string;
  json: boolean;
  table: boolean;
  /** Go's switch: create, mount, snapshot create and backup create print JSON instead of a bare name. */
  verbose: boolean;
  /** Ctrl-C leaves the daemon's operation running (cancel-on-interrupt.ts). */
  detach: boolean;
}

export interface CommandContext {
  /** The daemon, over its socket: `client.call('<route>', body)` (route-table.ts). */
  client: ConvoyClient;
  out: Printer;
}

export type CommandArgs<A> = ArgumentsCamelCase<A & GlobalArgs>;
export type Handler<A> = (args: CommandArgs<A>, ctx: CommandContext) => Promise<void>;

/**
 * How a command body gets its context and reports failure. `runCli` builds one per run so that
 * commands print to that run's streams and the exit code comes back to the caller.
 */
export interface CommandRunner {
  /** Wraps a command body; `A` states the flags the command's builder declares. */
  action<A = object>(handler: Handler<A>): (args: ArgumentsCamelCase) => Promise<void>;
}

export function socketOf(args: Pick<GlobalArgs, 'socket'>): string {
  return args.socket ?? defaultSocket();
}
