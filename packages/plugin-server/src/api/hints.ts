/**
 * Errors that say what to do instead. The service's plain answers ("snapshot db does not
 * exist", "volume db is mounted; unmount it first") are right but lead astray when the user
 * gave a volume's name where a snapshot is wanted, or when the mount belongs to Docker's
 * containers (unmounting under them is the wrong fix). These hints cost a lookup only on failure.
 */
import { ConvoyError, isConvoyError } from '@convoy/core';
import type { VolumeService } from '@convoy/volume-service';

/** `backup create VOLUME`: say that it wants a snapshot, and name the volume's latest. */
export async function snapshotWanted(service: VolumeService, name: string, err: unknown): Promise<never> {
  if (!isConvoyError(err, 'NOT_FOUND')) throw err;
  const volume = await service.findVolume(name).catch(() => undefined);
  if (volume === undefined) throw err;
  const latest = [...volume.snapshots].sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
  const advice =
    latest === undefined
      ? `it has none yet: take one with \`convoy snapshot create ${name}\`, then back that up`
      : `its latest is ${latest.name} (\`convoy backup create ${latest.name} --dest ...\`)`;
  throw new ConvoyError('INVALID_ARGUMENT', `${name} is a volume, and backup create takes a snapshot of one: ${advice}`, {
    details: { volume: name, ...(latest === undefined ? {} : { latestSnapshot: latest.name }) },
    cause: err,
  });
}

/** A volume busy because Docker's containers hold its mount: say how many, and what to stop. */
export function heldByDocker(name: string, dockerMountIds: ReadonlySet<string>, err: unknown): unknown {
  if (!isConvoyError(err, 'BUSY') || dockerMountIds.size === 0) return err;
  const ids = [...dockerMountIds];
  const count = ids.length === 1 ? '1 container mount holds it' : `${ids.length} container mounts hold it`;
  return new ConvoyError(
    'BUSY',
    `volume ${name} is in use by Docker: ${count} (mount ID${ids.length === 1 ? '' : 's'} ${ids.map((id) => id.slice(0, 12)).join(', ')}); ` +
      `stop and remove those containers (\`docker ps -a --filter volume=${name}\`), then try again`,
    { details: { volume: name, dockerMountIds: ids }, cause: err },
  );
}
