import { type BackupSummary, formatRubyDate, parseStoreTime, type SnapshotRecord, type VolumeRecord } from '@convoy/core';
import type { DaemonInfo } from '@convoy/volume-service';
import type { BackupInfo, DriverInfoMap, GeneralInfo, InfoResponse, SnapshotResponse, VolumeResponse } from './go-types.js';

/**
 * Convoy's records in Go Convoy's answer shapes. Times are Go's RubyDate to the second, the
 * spelling backup records use, so a volume's CreatedTime equals its backups' VolumeCreatedAt;
 * driver facts are strings, as Go's map[string]string printed them.
 */

export function goTime(time: string): string {
  const date = parseStoreTime(time);
  return date ? formatRubyDate(date) : time;
}

function factText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

export function driverFacts(facts: Record<string, unknown>): DriverInfoMap {
  return Object.fromEntries(Object.entries(facts).map(([key, value]) => [key, factText(value)]));
}

/** A snapshot as a volume lists it: the keys Go's drivers reported, then this driver's own. */
function snapshotOf(snapshot: SnapshotRecord, driver: string): SnapshotResponse {
  const created = goTime(snapshot.createdAt);
  return {
    Name: snapshot.name,
    CreatedTime: created,
    DriverInfo: {
      SnapshotName: snapshot.name,
      SnapshotCreatedAt: created,
      VolumeUUID: snapshot.volumeName,
      ...driverFacts(snapshot.driverInfo),
      Driver: driver,
    },
  };
}

/** `snapshot inspect` (with the volume's creation time) and verbose `snapshot create` (without). */
export function snapshotResponse(snapshot: SnapshotRecord, volume: VolumeRecord, withVolumeTime: boolean): SnapshotResponse {
  const { Name, CreatedTime, DriverInfo } = snapshotOf(snapshot, volume.driver);
  return {
    Name,
    VolumeName: volume.name,
    ...(withVolumeTime ? { VolumeCreatedAt: goTime(volume.createdAt) } : {}),
    CreatedTime,
    DriverInfo,
    ...(snapshot.consistency ? { Consistency: snapshot.consistency } : {}),
  };
}

/** The facts `list --driver` shows per volume, also a volume's DriverInfo. */
export function volumeFacts(volume: VolumeRecord): DriverInfoMap {
  return {
    VolumeName: volume.name,
    VolumeCreatedAt: goTime(volume.createdAt),
    MountPoint: volume.mountpoint ?? '',
    Size: String(volume.size),
    ...driverFacts(volume.driverInfo),
    Driver: volume.driver,
  };
}

export function volumeResponse(volume: VolumeRecord): VolumeResponse {
  return {
    Name: volume.name,
    Driver: volume.driver,
    MountPoint: volume.mountpoint ?? '',
    CreatedTime: goTime(volume.createdAt),
    DriverInfo: volumeFacts(volume),
    Snapshots: Object.fromEntries(volume.snapshots.map((s) => [s.name, snapshotOf(s, volume.driver)])),
    ...(volume.standby ? { Standby: volume.standby } : {}),
  };
}

export function backupInfo(backup: BackupSummary): BackupInfo {
  return {
    BackupName: backup.name,
    BackupURL: backup.url,
    DriverName: backup.driver,
    VolumeName: backup.volumeName,
    VolumeSize: String(backup.volumeSize),
    VolumeCreatedAt: goTime(backup.volumeCreatedAt),
    SnapshotName: backup.snapshotName,
    SnapshotCreatedAt: goTime(backup.snapshotCreatedAt),
    CreatedTime: goTime(backup.createdAt),
    CompressionMethod: backup.compression,
    BackupMode: backup.mode,
    ...(backup.blockCount === undefined ? {} : { BlockCount: String(backup.blockCount) }),
    ...(backup.uploadedBytes === undefined ? {} : { UploadedBytes: String(backup.uploadedBytes) }),
  };
}

/** `backup list`: Go's map keyed by backup URL. */
export function backupMap(backups: BackupSummary[]): Record<string, BackupInfo> {
  return Object.fromEntries(backups.map((b) => [b.url, backupInfo(b)]));
}

function cmdTimeoutText(ms: unknown): string {
  return typeof ms === 'number' && ms > 0 ? `${ms / 1000}s` : '';
}

/** `info`: General (Go's daemonConfig), then each driver's facts under its name. */
export function infoResponse(info: DaemonInfo): InfoResponse {
  const general: GeneralInfo = {
    Root: info.root,
    DriverList: info.drivers,
    DefaultDriver: info.defaultDriver,
    MountNamespaceFD: '',
    IgnoreDockerDelete: info.config.ignoreDockerDelete === true,
    CreateOnDockerMount: info.config.createOnDockerMount === true,
    CmdTimeout: cmdTimeoutText(info.config.cmdTimeoutMs),
    Version: info.version,
    StoreOptions: (info.config.storeOptions ?? {}) as Record<string, string>,
    DriverOptions: info.driverOptions,
    DriverTraits: info.driverTraits,
    ...(info.config.csi ? { CSI: info.config.csi as GeneralInfo['CSI'] } : {}),
    ...(info.problems.length === 0
      ? {}
      : { Problems: info.problems.map((p) => ({ ...(p.driver === undefined ? {} : { Driver: p.driver }), Code: p.code, Message: p.message })) }),
  };
  const drivers = Object.fromEntries(Object.entries(info.driverInfo).map(([name, facts]) => [name, driverFacts(facts)]));
  return { General: general, ...drivers };
}
