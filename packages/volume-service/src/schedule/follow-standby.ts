/**
 * Schedules that keep a standby volume in sync (`convoy schedule create NAME --standby VOL
 * --follow STORE --every 5m`): each run syncs the standby to the newest backup of its source
 * volume in STORE; a standby that already holds it is left as it is (the manager answers `up to
 * date`). Such a schedule takes no snapshot, no backup and no retention: a standby refuses the
 * first two, and the source's own schedule owns the third.
 */

import { parseStoreUrl } from '@convoy/backup-store';
import type { VolumeRecord } from '@convoy/core';
import { ConvoyError } from '@convoy/core';
import { checkSameSource } from '../manager/standby-rules.js';
import type { StoreOperations, VolumeService } from '../manager/types.js';
import { VolumeGoneError } from './run-schedule.js';
import type { ScheduleRun, ScheduleSpec } from './types.js';

/** Checks the follow part of a schedule as it arrives (spec.ts calls it), before anything is saved. */
export function validateFollow(name: string, raw: Record<string, unknown>): NonNullable<ScheduleSpec['follow']> {
  const value = raw.follow;
  if (typeof value !== 'object' || value === null)
    throw new ConvoyError('INVALID_ARGUMENT', `schedule ${name}: --follow needs the store URL the standby follows`);
  const follow = value as Record<string, unknown>;
  if (typeof follow.store !== 'string' || follow.store === '') throw new ConvoyError('INVALID_ARGUMENT', `schedule ${name}: --follow needs a store URL`);
  parseStoreUrl(follow.store);
  for (const other of ['backup', 'keep', 'consistent'] as const) {
    if (raw[other] !== undefined) {
      throw new ConvoyError(
        'INVALID_ARGUMENT',
        `schedule ${name}: a --follow schedule syncs a standby volume, which takes no snapshots; it cannot have --${other === 'keep' ? 'keep-*' : other}`,
      );
    }
  }
  if (follow.endpoint !== undefined && typeof follow.endpoint !== 'string') {
    throw new ConvoyError('INVALID_ARGUMENT', `schedule ${name}: the endpoint must be a URL string, not ${JSON.stringify(follow.endpoint)}`);
  }
  return { store: follow.store, ...(follow.endpoint ? { endpoint: follow.endpoint } : {}) };
}

/** At creation: the volume must be a standby of the store the schedule follows. */
export function checkFollowTarget(spec: ScheduleSpec & { follow: NonNullable<ScheduleSpec['follow']> }, volume: VolumeRecord): void {
  const state = volume.standby;
  if (!state)
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      `schedule ${spec.name}: volume ${spec.volume} is not a standby volume; create one with \`convoy create NAME --backup URL --standby\``,
    );
  checkSameSource(spec.volume, state, { storeUrl: spec.follow.store, volumeName: state.sourceVolume });
}

/** One run of a follow schedule. */
export async function followStandby(
  service: VolumeService,
  stores: StoreOperations,
  spec: ScheduleSpec & { follow: NonNullable<ScheduleSpec['follow']> },
): Promise<Partial<ScheduleRun>> {
  const volume = await service.findVolume(spec.volume);
  if (!volume) throw new VolumeGoneError(spec.volume);
  const state = volume.standby;
  if (!state)
    throw new ConvoyError('INVALID_ARGUMENT', `schedule ${spec.name}: volume ${spec.volume} is not a standby volume (activated?); delete the schedule`);
  const endpoint = spec.follow.endpoint === undefined ? {} : { endpoint: spec.follow.endpoint };
  const backups = await stores.listBackups(spec.follow.store, { ...endpoint, volumeName: state.sourceVolume });
  const newest = [...backups].sort((x, y) => Date.parse(y.createdAt) - Date.parse(x.createdAt))[0];
  if (!newest) throw new ConvoyError('NOT_FOUND', `schedule ${spec.name}: ${spec.follow.store} holds no backup of volume ${state.sourceVolume} yet`);
  const synced = await service.syncStandby(spec.volume, { backupUrl: newest.url });
  return { standbySync: { from: synced.previousBackup, to: synced.backupName, method: synced.method, bytesWritten: synced.bytesWritten } };
}
