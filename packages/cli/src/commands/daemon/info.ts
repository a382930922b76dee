/** `convoy info`: the daemon's version, root and drivers (Go Convoy's JSON when piped). */
import { renderInfo } from '../../render.js';
import type { CommandModule } from '../command-module.js';

export const info: CommandModule = {
  command: 'info',
  describe: 'Show the daemon: version, root, drivers and what each driver reports',
  async handler(_args, { client, out }) {
    const report = await client.call('info', undefined);
    out.result({ go: report, table: () => renderInfo(report) });
  },
};
