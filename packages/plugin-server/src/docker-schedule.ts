import { ConvoyError, isConvoyError, type Logger } from '@convoy/core';
import type { ScheduleService, ScheduleSpec, VolumeService } from '@convoy/volume-service';

/**
 * Creates the schedule `docker volume create -o schedule=...` asked for. Docker repeats Create
 * for a volume that exists, so an existing schedule of that name is kept as it is. If the
 * schedule cannot be made, a volume made by this very request is removed again, so that Docker's
 * error leaves nothing half-done behind.
 */
export async function attachDockerSchedule(p: {
  service: VolumeService;
  schedules: ScheduleService | undefined;
  schedule: ScheduleSpec;
  created: boolean;
  log: Logger;
}): Promise<void> {
  try {
    if (!p.schedules) throw new ConvoyError('NOT_SUPPORTED', 'this Convoy server runs no scheduler; -o schedule is not available');
    await p.schedules.createSchedule(p.schedule);
  } catch (err) {
    if (isConvoyError(err, 'ALREADY_EXISTS')) return;
    if (p.created) {
      await p.service
        .deleteVolume(p.schedule.volume, { referenceOnly: false })
        .catch((undo: unknown) => p.log.error('could not remove the volume whose schedule failed', { volume: p.schedule.volume, err: undo }));
    }
    throw err;
  }
}
