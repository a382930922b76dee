/** `convoy schedule run <name>`: one run now, waited for; a failed run is the command's failure (exit 1). */
import { ConvoyError, type ErrorCode } from '@convoy/core/lite';
import { renderScheduleRun } from '../../render-schedules.js';
import type { CommandModule } from '../command-module.js';

export const runNow: CommandModule<{ name: string }> = {
  command: 'run <name>',
  describe: 'Run a schedule now and wait for it; exits 1 when the run fails',
  builder: (c) => c.positional('name', { type: 'string', demandOption: true }),
  async handler(args, { client, out }) {
    const result = await client.call('runSchedule', { name: args.name });
    if (result.outcome === 'failed')
      throw new ConvoyError((result.error?.code ?? 'INTERNAL') as ErrorCode, `schedule ${args.name} failed: ${result.error?.message ?? 'unknown error'}`, {
        details: { run: result },
      });
    out.result({ go: result, table: () => renderScheduleRun(args.name, result) });
  },
};
