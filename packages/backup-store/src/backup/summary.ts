import type { BackupSummary } from '@convoy/core';
import { storeTimeToIso } from '@convoy/core';
import { type BackupConfig, backupCompression, backupMode, type VolumeConfig } from './records.js';
import { formatBackupUrl } from './url.js';

/** A backup as the API shows it (Convoy's inspect keys, with ISO times), from its records. */
export function summarizeBackup(destUrl: string, volume: VolumeConfig | undefined, backup: BackupConfig): BackupSummary {
  const mode = backupMode(backup);
  const summary: BackupSummary = {
    name: backup.Name,
    url: formatBackupUrl(destUrl, backup.Name, backup.VolumeName),
    volumeName: backup.VolumeName,
    volumeSize: backup.VolumeSize ?? volume?.Size ?? 0,
    volumeCreatedAt: storeTimeToIso(volume?.CreatedTime ?? ''),
    driver: backup.Driver || volume?.Driver || '',
    snapshotName: backup.SnapshotName,
    snapshotCreatedAt: storeTimeToIso(backup.SnapshotCreatedAt),
    createdAt: backup.CreatedAt ?? storeTimeToIso(backup.CreatedTime),
    compression: backupCompression(backup),
    mode,
  };
  if (mode === 'delta-block') summary.blockCount = backup.Blocks.length;
  if (backup.UploadedBytes !== undefined) summary.uploadedBytes = backup.UploadedBytes;
  return summary;
}
