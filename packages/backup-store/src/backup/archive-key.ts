import { ConvoyError } from '@convoy/core';
import { backupFilesDir } from './layout.js';
import type { BackupConfig } from './records.js';

/**
 * The archive's key as the record names it. Convoy v0.5 wrote `BackupFiles/<backup>.bak`, older
 * versions the local file's name; either way it must sit in this volume's `BackupFiles/`, so a
 * tampered record cannot point a restore or a delete anywhere else.
 */
export function archiveKeyOf(backup: BackupConfig): string {
  const key = backup.SingleFile.FilePath;
  const dir = backupFilesDir(backup.VolumeName);
  const file = key.startsWith(dir) ? key.slice(dir.length) : '';
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(file)) {
    throw new ConvoyError('CORRUPT', `backup ${backup.Name} names its archive ${JSON.stringify(key)}, which is not a file in ${dir}`);
  }
  return key;
}
