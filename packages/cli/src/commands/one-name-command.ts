import type { Argv } from 'yargs';
import type { ConvoyClient } from '@convoy/plugin-server/client';
import type { CommandArgs, CommandRunner, GlobalArgs } from '../command-context.js';
import type { Printer, Result } from '../printer.js';

export interface OneNameCommand<R, A> {
  /** The positional's name, e.g. `volume` for `umount <volume>`. */
  arg: string;
  verb: string;
  describe: string;
  epilogue?: string;
  /** `out` is there to ask whether a person can answer a prompt; the result is printed by the command. */
  call(client: ConvoyClient, name: string, args: CommandArgs<A>, out: Printer): Promise<R>;
  /** What to print, in each output mode. */
  print(result: R, name: string): Result;
}

/** A command that takes one required name, makes one call to the daemon and prints the answer. */
export function oneNameCommand<R, A = object>(y: Argv<GlobalArgs>, run: CommandRunner, spec: OneNameCommand<R, A>): Argv<GlobalArgs> {
  return y.command(
    `${spec.verb} <${spec.arg}>`,
    spec.describe,
    (c) => {
      const withArg = c.positional(spec.arg, { type: 'string', demandOption: true });
      return spec.epilogue ? withArg.epilogue(spec.epilogue) : withArg;
    },
    run.action<A>(async (args, { client, out }) => {
      const name = String((args as Record<string, unknown>)[spec.arg]);
      const result = await spec.call(client, name, args, out);
      out.result(spec.print(result, name));
    }),
  );
}
