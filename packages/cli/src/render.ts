import type { PruneReport } from '@convoy/core';
import { describeOptions } from '@convoy/core/lite';
import type { BackupInfo, DriverInfoMap, GeneralInfo, InfoResponse, VolumeResponse } from '@convoy/plugin-server/client';
import { formatBytes } from './bytes.js';
import { table } from './printer.js';

/** Readable renderings (terminal or --table) of the daemon's Go-shaped answers. */

const sizeText = (bytes: string | undefined) => (bytes !== undefined && Number(bytes) > 0 ? formatBytes(Number(bytes)) : '-');

export function renderInfo(info: InfoResponse): string {
  const general = info.General;
  const lines = [
    `Convoy ${general.Version}`,
    `Root:           ${general.Root}`,
    `Drivers:        ${general.DriverList.join(', ')}`,
    `Default driver: ${general.DefaultDriver}`,
  ];
  for (const [name, facts] of Object.entries(info)) {
    if (name === 'General') continue;
    lines.push('', `[${name}]`);
    for (const [key, value] of Object.entries(facts as DriverInfoMap)) lines.push(`  ${key}: ${value}`);
    const options = general.DriverOptions?.[name];
    if (options?.daemon.length) lines.push('  daemon options (--driver-opts):', ...describeOptions(options.daemon).map((line) => `    ${line}`));
    if (options?.volume.length) lines.push('  volume options (create --opt, docker volume create -o):', ...describeOptions(options.volume).map((line) => `    ${line}`));
  }
  const problems = (general as GeneralInfo).Problems ?? [];
  if (problems.length > 0) {
    lines.push('', 'Problems found at start-up:');
    for (const p of problems) lines.push(`  ${p.Driver ? `${p.Driver}: ` : ''}${p.Message}`);
  }
  return lines.join('\n');
}

export function renderVolumeList(volumes: Record<string, VolumeResponse>): string {
  const rows = Object.values(volumes).sort((a, b) => a.Name.localeCompare(b.Name));
  if (rows.length === 0) return 'no volumes';
  return table(
    ['NAME', 'DRIVER', 'SIZE', 'MOUNTPOINT', 'SNAPSHOTS', 'CREATED'],
    rows.map((v) => [v.Name, v.Driver, sizeText(v.DriverInfo.Size), v.MountPoint || '-', String(Object.keys(v.Snapshots).length), v.CreatedTime]),
  );
}

export function renderBackupList(backups: Record<string, BackupInfo>): string {
  const rows = Object.values(backups);
  if (rows.length === 0) return 'no backups';
  return table(
    ['URL', 'VOLUME', 'SNAPSHOT', 'SIZE', 'COMPRESSION', 'CREATED'],
    rows.map((b) => [b.BackupURL, b.VolumeName, b.SnapshotName, sizeText(b.VolumeSize), b.CompressionMethod, b.CreatedTime]),
  );
}

export function renderPrune(report: PruneReport): string {
  return (
    `removed ${report.blocksRemoved} unreferenced block(s) (${formatBytes(report.bytesRemoved)}) of ${report.blocksScanned} scanned in ${report.volumes} volume(s)` +
    (report.blocksKeptForGrace > 0 ? `; kept ${report.blocksKeptForGrace} younger than the grace period` : '') +
    (report.packsScanned ? `\npacks: removed ${report.packsRemoved ?? 0} unused and rewrote ${report.packsRewritten ?? 0} mostly unused of ${report.packsScanned}` : '') +
    (report.packsKeptForGrace ? `; kept ${report.packsKeptForGrace} younger than the grace period` : '') +
    (report.staleWritesRemoved ?? []).map((file) => `\nremoved ${file}, left by an interrupted write`).join('')
  );
}

/** Inspect output: the record as indented JSON, like `docker inspect`. */
export function renderRecord(record: unknown): string {
  return JSON.stringify(record, null, 2);
}
