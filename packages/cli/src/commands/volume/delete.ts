/** `convoy delete <volumes..>`: one request per volume, as Go Convoy did; a failure does not stop the others. */
import { ConvoyError, toConvoyError } from '@convoy/core/lite';
import type { CommandModule } from '../command-module.js';

export const deleteVolumes: CommandModule<{ volumes: string[]; reference: boolean }> = {
  command: 'delete <volumes..>',
  describe: 'Delete volumes and their data (or, with --reference, only forget them)',
  builder: (c) =>
    c
      .positional('volumes', { type: 'string', array: true, demandOption: true, describe: 'volume names' })
      .option('reference', {
        alias: 'r',
        type: 'boolean',
        default: false,
        describe: "delete only Convoy's reference: the volume leaves Convoy but its data stays where the driver keeps it",
      })
      .epilogue("Without --reference the volume's data is destroyed. `docker volume rm` deletes by reference only."),
  async handler(args, { client, out }) {
    const deleted: string[] = [];
    const failed: Array<{ name: string; error: ConvoyError }> = [];
    for (const name of args.volumes) {
      try {
        await client.call('deleteVolume', { VolumeName: name, ReferenceOnly: args.reference });
        deleted.push(name);
      } catch (err) {
        failed.push({ name, error: toConvoyError(err) });
      }
    }
    if (failed.length === 1 && deleted.length === 0) throw failed[0]?.error;
    if (failed.length > 0) {
      throw new ConvoyError(
        failed[0]?.error.code ?? 'INTERNAL',
        `could not delete ${failed.length} of ${args.volumes.length} volumes: ${failed.map((f) => f.error.message).join('; ')}`,
        {
          details: { deleted, failed: failed.map((f) => ({ name: f.name, ...f.error.toJSON() })) },
        },
      );
    }
    out.result({ go: undefined, json: { deleted, referenceOnly: args.reference }, table: () => '' });
  },
};
