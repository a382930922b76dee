import { describeOptions, type BackupSummary, type DaemonInfo, type PruneReport, type VolumeRecord } from '@convoy/core';
import { formatBytes } from './bytes.js';
import { table } from './printer.js';

/** Human renderings of what the daemon returns. */

const sizeText = (bytes: number) => (bytes > 0 ? formatBytes(bytes) : '-');

export function renderInfo(info: DaemonInfo): string {
  const lines = [
    `Convoy ${info.version}`,
    `Root:           ${info.root}`,
    `Drivers:        ${info.drivers.join(', ')}`,
    `Default driver: ${info.defaultDriver}`,
  ];
  for (const [name, facts] of Object.entries(info.driverInfo)) {
    lines.push('', `[${name}]`);
    for (const [key, value] of Object.entries(facts)) lines.push(`  ${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
    const options = info.driverOptions?.[name];
    if (options?.daemon.length) lines.push('  daemon options (--driver-opts):', ...describeOptions(options.daemon).map((line) => `    ${line}`));
    if (options?.volume.length) lines.push('  volume options (create --opt, docker volume create -o):', ...describeOptions(options.volume).map((line) => `    ${line}`));
  }
  if (info.problems.length > 0) {
    lines.push('', 'Problems found at start-up:');
    for (const p of info.problems) lines.push(`  ${p.driver ? `${p.driver}: ` : ''}${p.message}`);
  }
  return lines.join('\n');
}

export function renderVolumeList(volumes: VolumeRecord[]): string {
  if (volumes.length === 0) return 'no volumes';
  return table(
    ['NAME', 'DRIVER', 'SIZE', 'MOUNTPOINT', 'SNAPSHOTS', 'CREATED'],
    volumes.map((v) => [v.name, v.driver, sizeText(v.size), v.mountpoint ?? '-', String(v.snapshots.length), v.createdAt]),
  );
}

export function renderBackupList(backups: BackupSummary[]): string {
  if (backups.length === 0) return 'no backups';
  return table(
    ['URL', 'VOLUME', 'SNAPSHOT', 'SIZE', 'COMPRESSION', 'CREATED'],
    backups.map((b) => [b.url, b.volumeName, b.snapshotName, sizeText(b.volumeSize), b.compression, b.createdAt]),
  );
}

export function renderPrune(report: PruneReport): string {
  return (
    `removed ${report.blocksRemoved} unreferenced block(s) (${formatBytes(report.bytesRemoved)}) of ${report.blocksScanned} scanned in ${report.volumes} volume(s)` +
    (report.blocksKeptForGrace > 0 ? `; kept ${report.blocksKeptForGrace} younger than the grace period` : '')
  );
}

/** Inspect output: the record as indented JSON, like `docker inspect`. */
export function renderRecord(record: unknown): string {
  return JSON.stringify(record, null, 2);
}
