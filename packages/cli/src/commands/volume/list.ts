/** `convoy list`: every volume of every driver; `--driver` shows the drivers' raw facts (Go Convoy's list --driver). */
import type { VolumeResponse } from '@convoy/plugin-server/client';
import { renderRecord, renderVolumeList } from '../../render.js';
import type { CommandModule } from '../command-module.js';

export const list: CommandModule<{ driver: boolean }> = {
  command: 'list',
  describe: 'List every volume of every driver',
  builder: (c) => c.option('driver', { type: 'boolean', default: false, describe: "show each volume's raw driver facts instead (Go Convoy's list --driver)" }),
  async handler(args, { client, out }) {
    const volumes = await client.call('listVolumes', undefined, args.driver ? { query: 'driver=1' } : {});
    out.result({ go: volumes, table: () => (args.driver ? renderRecord(volumes) : renderVolumeList(volumes as Record<string, VolumeResponse>)) });
  },
};
