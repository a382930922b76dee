/** Most commands take one name, make one call to the daemon and print its answer: this builds them. */
import type { ConvoyClient } from '@convoy/plugin-server/client';
import type { CommandArgs } from '../../command-context.js';
import type { Printer, Result } from '../../printer.js';
import type { CommandModule } from '../command-module.js';

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
export function oneNameCommand<R, A = object>(spec: OneNameCommand<R, A>): CommandModule<A> {
  return {
    command: `${spec.verb} <${spec.arg}>`,
    describe: spec.describe,
    builder: (c) => {
      const withArg = c.positional(spec.arg, { type: 'string', demandOption: true });
      return spec.epilogue ? withArg.epilogue(spec.epilogue) : withArg;
    },
    async handler(args, { client, out }) {
      const name = String((args as Record<string, unknown>)[spec.arg]);
      const result = await spec.call(client, name, args, out);
      out.result(spec.print(result, name));
    },
  };
}
