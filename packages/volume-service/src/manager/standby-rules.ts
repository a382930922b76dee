/**
 * The rules of standby volumes that the manager applies (the one owner of each): what a standby
 * refuses and how it says so, which backups a sync must diff against, and which backup
 * `--latest` means. A standby is written only by `standby sync`; everything else that would
 * change it (mount, resize, snapshot, backup) is refused with a STANDBY error naming the volume
 * and the way out.
 */

import { parseStoreUrl, unescapeBackupUrl } from '@convoy/backup-store';
import type { BackupSummary, StandbyState, StandbySyncRequest } from '@convoy/core';
import { ConvoyError } from '@convoy/core';

export function standbyRefusal(volumeName: string, state: StandbyState, action: string): ConvoyError {
  const why = state.syncing
    ? `its sync to backup ${state.syncing.to} was interrupted, so it holds a mix of backups; run \`convoy standby sync ${volumeName}\` to complete it`
    : `it holds backup ${state.backupName} of volume ${state.sourceVolume} and follows ${state.storeUrl}`;
  return new ConvoyError(
    'STANDBY',
    `volume ${volumeName} is a standby volume and cannot be ${action}: ${why}; \`convoy standby activate ${volumeName}\` makes it an ordinary volume`,
    {
      details: { volume: volumeName, standby: state },
    },
  );
}

/** What inspect, Docker and CSI say of a standby (StandbyState.status); `running`: its sync is under way now. */
export function standbyStatus(state: StandbyState, running: boolean): string {
  if (!state.syncing) return `holds ${state.backupName}`;
  return running ? `syncing to ${state.syncing.to}` : `interrupted sync to ${state.syncing.to}, run standby sync`;
}

/**
 * The record a `create --standby` writes before its restore starts: a journal with nothing held
 * before (`from: []`; a sync's always names the backup the standby held). A volume that exists
 * with it was committed by the restore, complete; one that does not exist was never created.
 */
export function createJournal(state: StandbyState): StandbyState {
  return { ...state, syncing: { from: [], to: state.backupName, startedAt: state.syncedAt } };
}

export function isCreateJournal(state: StandbyState): boolean {
  return state.syncing !== undefined && state.syncing.from.length === 0;
}

/** The state once the volume holds `syncing.to` (or, for a create, the backup restored). */
export function withoutJournal(state: StandbyState): StandbyState {
  const { syncing: _journal, ...rest } = state;
  return rest;
}

/** Every backup whose blocks may be in the volume now: the one it holds, and those of an interrupted sync. */
export function backupsMixedIn(state: StandbyState): string[] {
  const names = [state.backupName, ...(state.syncing?.from ?? []), ...(state.syncing ? [state.syncing.to] : [])];
  return [...new Set(names)];
}

export function checkSyncRequest(volumeName: string, req: StandbySyncRequest): { backupUrl?: string } {
  if (req.backupUrl !== undefined && req.latest === true) {
    throw new ConvoyError('INVALID_ARGUMENT', `give standby ${volumeName} either a backup URL or --latest, not both; nothing was synced`);
  }
  if (req.backupUrl !== undefined && (typeof req.backupUrl !== 'string' || req.backupUrl.trim() === '')) {
    throw new ConvoyError('INVALID_ARGUMENT', `the backup URL to sync standby ${volumeName} to is empty; nothing was synced`);
  }
  return req.backupUrl === undefined ? {} : { backupUrl: req.backupUrl };
}

/** A sync target must be a backup of the standby's source volume, in the store it follows. */
export function checkSameSource(volumeName: string, state: StandbyState, target: { storeUrl: string; volumeName: string }): void {
  if (target.volumeName !== state.sourceVolume) {
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      `standby ${volumeName} follows backups of volume ${state.sourceVolume}; the backup given is of volume ${target.volumeName}; nothing was synced`,
      { details: { volume: volumeName, sourceVolume: state.sourceVolume, given: target.volumeName } },
    );
  }
  if (sameStore(target.storeUrl, state.storeUrl)) return;
  throw new ConvoyError(
    'INVALID_ARGUMENT',
    `standby ${volumeName} follows store ${state.storeUrl}; the backup given is in ${target.storeUrl}; nothing was synced`,
    {
      details: { volume: volumeName, storeUrl: state.storeUrl, given: target.storeUrl },
    },
  );
}

function sameStore(a: string, b: string): boolean {
  const normal = (url: string) => parseStoreUrl(unescapeBackupUrl(url)).href.replace(/\/+$/, '');
  return normal(a) === normal(b);
}

/** The newest backup (by its millisecond creation time) of a listing; NOT_FOUND when there is none. */
export function newestBackup(volumeName: string, state: StandbyState, backups: BackupSummary[]): BackupSummary {
  const newest = [...backups].sort((x, y) => Date.parse(y.createdAt) - Date.parse(x.createdAt))[0];
  if (!newest) throw new ConvoyError('NOT_FOUND', `store ${state.storeUrl} holds no backup of volume ${state.sourceVolume} to sync standby ${volumeName} to`);
  return newest;
}
