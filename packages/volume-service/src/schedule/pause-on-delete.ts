import type { VolumeService } from '../manager/types.js';

/** What pauses a volume's schedules (the Scheduler). */
export interface SchedulePauser {
  pauseSchedulesOf(volume: string, reason: string): Promise<void>;
}

/**
 * The rule that a deleted volume's schedules pause, saying why, instead of each failing at its
 * next run. The daemon wraps its one service with it, so a delete from any front end (the CLI,
 * Docker, CSI DeleteVolume) pauses them. Every other member, and `this` inside them, stays the
 * service's own; the result keeps the service's type (the CSI front end needs its changed-block
 * method too).
 */
export function pausingSchedulesOnDelete<S extends VolumeService>(service: S, schedules: SchedulePauser): S {
  const deleteVolume: VolumeService['deleteVolume'] = async (name, opts) => {
    await service.deleteVolume(name, opts);
    await schedules.pauseSchedulesOf(name, `volume ${name} was deleted${opts.referenceOnly ? ' (by reference)' : ''}; resume after re-creating it`);
  };
  return Object.create(service, { deleteVolume: { value: deleteVolume } }) as S;
}
