import type { PruneReport } from '@convoy/backup-store';
import { describeOptions } from '@convoy/core/lite';
import type { BackupInfo, DriverInfoMap, GeneralInfo, InfoResponse, SnapshotResponse, VolumeResponse } from '@convoy/plugin-server/client';
import { age, timeValue } from './age.js';
import { formatBytes } from './bytes.js';
import type { Table } from './table.js';

/** Readable renderings (terminal or --table) of the daemon's Go-shaped answers. */

const sizeText = (bytes: string | undefined) => (bytes !== undefined && Number(bytes) > 0 ? formatBytes(Number(bytes)) : '-');
/** What a backup added to the store; 0 B is a real answer (every block was there), `-` an unknown one (Go Convoy's backups). */
const storedText = (bytes: string | undefined) => (bytes === undefined || bytes === '' ? '-' : formatBytes(Number(bytes)));

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
    const traits = general.DriverTraits?.[name];
    if (traits) lines.push(`  traits: ${describeTraits(traits)}`);
    const options = general.DriverOptions?.[name];
    if (options?.daemon.length) lines.push('  daemon options (--driver-opts):', ...describeOptions(options.daemon).map((line) => `    ${line}`));
    if (options?.volume.length)
      lines.push('  volume options (create --opt, docker volume create -o):', ...describeOptions(options.volume).map((line) => `    ${line}`));
  }
  const problems = (general as GeneralInfo).Problems ?? [];
  if (problems.length > 0) {
    lines.push('', 'Problems found at start-up:');
    for (const p of problems) lines.push(`  ${p.Driver ? `${p.Driver}: ` : ''}${p.Message}`);
  }
  return lines.join('\n');
}

/** A driver's declared traits in words: `node-local, block device, sizes in multiples of 2 MiB, size enforced`. */
function describeTraits(traits: NonNullable<GeneralInfo['DriverTraits']>[string]): string {
  return [
    traits.nodeLocal ? 'node-local' : 'reachable from any node',
    traits.blockDevice ? 'block device' : 'directory',
    ...(traits.sizeUnit > 1 ? [`sizes in multiples of ${formatBytes(traits.sizeUnit)}`] : []),
    traits.honoursSize ? 'size enforced' : 'size recorded, not enforced',
    ...(traits.changedBlocks ? ['reports changed blocks'] : []),
  ].join(', ');
}

export function renderVolumeList(volumes: Record<string, VolumeResponse>): Table {
  const rows = Object.values(volumes).sort((a, b) => a.Name.localeCompare(b.Name));
  return {
    headers: ['NAME', 'DRIVER', 'SIZE', 'SNAPSHOTS', 'CREATED', 'MOUNTPOINT'],
    rows: rows.map((v) => [v.Name, v.Driver, sizeText(v.DriverInfo.Size), String(Object.keys(v.Snapshots).length), age(v.CreatedTime), v.MountPoint || '-']),
    empty: 'no volumes',
  };
}

/** `snapshot list VOLUME`, newest first. */
export function renderSnapshotList(snapshots: Record<string, SnapshotResponse>): Table {
  const rows = Object.values(snapshots).sort((a, b) => timeValue(b.CreatedTime) - timeValue(a.CreatedTime) || a.Name.localeCompare(b.Name));
  return { headers: ['NAME', 'CREATED'], rows: rows.map((s) => [s.Name, age(s.CreatedTime)]), empty: 'no snapshots' };
}

/**
 * `backup list`, newest first per volume: the backup's name is its short ID (the URL, 60 characters
 * and more, stays in --json, the piped output and `backup inspect`); STORED is what it added to the store.
 */
export function renderBackupList(backups: Record<string, BackupInfo>): Table {
  const rows = Object.values(backups).sort((a, b) => a.VolumeName.localeCompare(b.VolumeName) || timeValue(b.CreatedTime) - timeValue(a.CreatedTime));
  return {
    headers: ['ID', 'VOLUME', 'SNAPSHOT', 'CREATED', 'STORED', 'COMPRESSION'],
    rows: rows.map((b) => [b.BackupName, b.VolumeName, b.SnapshotName, age(b.CreatedTime), storedText(b.UploadedBytes), b.CompressionMethod]),
    empty: 'no backups',
  };
}

export function renderPrune(report: PruneReport): string {
  return (
    `removed ${report.blocksRemoved} unreferenced block(s) (${formatBytes(report.bytesRemoved)}) of ${report.blocksScanned} scanned in ${report.volumes} volume(s)` +
    (report.blocksKeptForGrace > 0 ? `; kept ${report.blocksKeptForGrace} younger than the grace period` : '') +
    (report.packsScanned
      ? `\npacks: removed ${report.packsRemoved ?? 0} unused and rewrote ${report.packsRewritten ?? 0} mostly unused of ${report.packsScanned}`
      : '') +
    (report.packsKeptForGrace ? `; kept ${report.packsKeptForGrace} younger than the grace period` : '') +
    (report.staleWritesRemoved ?? []).map((file) => `\nremoved ${file}, left by an interrupted write`).join('')
  );
}

/** Inspect output: the record as indented JSON, like `docker inspect`. */
export function renderRecord(record: unknown): string {
  return JSON.stringify(record, null, 2);
}
