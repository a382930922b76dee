/**
 * JSON schemas of the request bodies, field for field Go Convoy's request structs plus Convoy's
 * additions. They are the one source of each body's shape: fastify validates requests with them
 * and go-types.ts derives the TypeScript request types from them (json-schema-to-ts, the way
 * fastify's type providers work), so the two cannot drift. Every object is closed
 * (additionalProperties false), so a misspelt field is an error naming it rather than silently
 * ignored. Each schema is a literal (`as const`): the types are read from it.
 */

import { COMPRESSION_METHODS, COUNT_RANGES, DURATION_RANGES, PERCENT_RANGES, SIZE_RANGES, STORE_LAYOUTS } from '@convoy/core/lite';
import type { JSONSchema } from 'json-schema-to-ts';

const text = { type: 'string' } as const;
const flag = { type: 'boolean' } as const;
/** Value bounds come from core's one table (bounded/ranges.ts), so the API and the CLI agree. */
const bytes = { type: 'integer', minimum: SIZE_RANGES.volume.min, maximum: SIZE_RANGES.volume.max } as const;
const compression = { type: 'string', enum: [...COMPRESSION_METHODS] } as const;
const layout = { type: 'string', enum: [...STORE_LAYOUTS] } as const;
const endpoint = { type: 'string', description: 'S3 endpoint (MinIO and other S3-compatible servers); s3:// URLs only' } as const;

/** Addition: a user key for an encrypted store; the secret is base64. */
const encryptionKey = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'secret'],
  properties: { kind: { type: 'string', enum: ['passphrase', 'key-file'] }, secret: { type: 'string' } },
} as const;

function closedObject<const P extends Record<string, JSONSchema>, const R extends ReadonlyArray<keyof P & string> = []>(properties: P, required?: R) {
  return { type: 'object', additionalProperties: false, required: (required ?? []) as R, properties } as const;
}

export const volumeCreateBody = closedObject({
  Name: text,
  DriverName: text,
  Size: bytes,
  BackupURL: text,
  Endpoint: endpoint,
  DriverVolumeID: text,
  Type: text,
  IOPS: { type: 'integer', minimum: COUNT_RANGES.iops.min, maximum: COUNT_RANGES.iops.max },
  PrepareForVM: flag,
  /** Answer with the VolumeResponse instead of the bare name. */
  Verbose: flag,
  /** Addition: driver-specific options, as `docker volume create -o`. */
  Options: { type: 'object', additionalProperties: { type: 'string' } },
  /** Addition: the key of an encrypted backup to restore (BackupURL). */
  EncryptionKey: encryptionKey,
  /** Addition: keep the restored volume standby (it refuses writes until activated). */
  Standby: flag,
});
export const volumeNameBody = closedObject({ VolumeName: text }, ['VolumeName']);
export const volumeDeleteBody = closedObject({ VolumeName: text, ReferenceOnly: flag }, ['VolumeName']);
export const volumeMountBody = closedObject({ VolumeName: text, MountPoint: text, Verbose: flag }, ['VolumeName']);
/** Addition: bring a standby volume to BackupURL, or (Latest, the default) to its source's newest backup; EncryptionKey opens an encrypted store. */
export const standbySyncBody = closedObject({ VolumeName: text, BackupURL: text, Latest: flag, EncryptionKey: encryptionKey }, ['VolumeName']);
export const volumeResizeBody = closedObject({ VolumeName: text, Size: bytes }, ['VolumeName', 'Size']);
/** Addition: Consistent runs the hooks of the containers mounting the volume around the snapshot (the verbose answer carries Consistency). */
export const snapshotCreateBody = closedObject({ Name: text, VolumeName: text, Verbose: flag, Consistent: flag }, ['VolumeName']);
export const snapshotNameBody = closedObject({ SnapshotName: text }, ['SnapshotName']);
/** Additions: Compression, BlockSize (64 KiB to 2 MiB, a power of two, set by a volume's first backup to a store), Layout, Encrypt, EncryptionKey. */
export const backupCreateBody = closedObject(
  {
    URL: text,
    Endpoint: endpoint,
    SnapshotName: text,
    Verbose: flag,
    Compression: compression,
    BlockSize: { type: 'integer', minimum: SIZE_RANGES.block.min, maximum: SIZE_RANGES.block.max },
    /** Addition: where the volume's blocks go, `packs` (default) or `convoy-v0.5` (Go Convoy's), set by its first backup to a store. */
    Layout: layout,
    Encrypt: flag,
    EncryptionKey: encryptionKey,
  },
  ['URL', 'SnapshotName'],
);
/** List, inspect and delete: Go's client sends BackupListRequest's four fields to inspect and list. */
export const backupUrlBody = closedObject({ URL: text, Endpoint: endpoint, VolumeName: text, SnapshotName: text, EncryptionKey: encryptionKey }, ['URL']);
export const backupPruneBody = closedObject(
  {
    URL: text,
    Endpoint: endpoint,
    GraceSeconds: { type: 'integer', minimum: 0, maximum: DURATION_RANGES.grace.max / 1000 },
    /** Addition: pack layout, rewrite a pack once more than this percentage of it is unused (default 10). */
    MaxUnusedPercent: { type: 'number', minimum: PERCENT_RANGES.maxUnused.min, maximum: PERCENT_RANGES.maxUnused.max },
    EncryptionKey: encryptionKey,
  },
  ['URL'],
);

// Convoy's additions below (retention and schedules) keep Convoy's own field names.

/** A keep count: the schema admits any number so that core's bounded parser names the rule, the value and the range. */
const count = { type: 'number' } as const;
/** The body's policy, as `validateRetentionPolicy` in @convoy/backup-store checks it. */
const retentionPolicy = closedObject({
  last: count,
  hourly: count,
  daily: count,
  weekly: count,
  monthly: count,
  yearly: count,
  within: text,
  allowRemovingNewest: flag,
});
export const backupForgetBody = closedObject({ dest: text, volumeName: text, policy: retentionPolicy, dryRun: flag, endpoint, encryptionKey }, [
  'dest',
  'volumeName',
  'policy',
]);
export const snapshotForgetBody = closedObject({ volume: text, policy: retentionPolicy, dryRun: flag }, ['volume', 'policy']);
export const scheduleCreateBody = closedObject(
  {
    name: text,
    volume: text,
    every: text,
    cron: text,
    timezone: text,
    jitter: text,
    consistent: flag,
    backup: closedObject({ dest: text, compression, endpoint, layout, keep: retentionPolicy }, ['dest']),
    /** Addition (issue 21): further stores, each getting the run's backup by copy and keeping by its own policy. */
    copies: { type: 'array', maxItems: 16, items: closedObject({ dest: text, endpoint, keep: retentionPolicy }, ['dest']) },
    keep: retentionPolicy,
    /** Addition: `volume` is a standby; each run syncs it to its source's newest backup in this store. */
    follow: closedObject({ store: text, endpoint }, ['store']),
  },
  ['name', 'volume'],
);
export const scheduleNameBody = closedObject({ name: text }, ['name']);
export const operationIdBody = closedObject({ id: text }, ['id']);

// Encryption and verify (Convoy additions, Convoy's own field names).
export const backupVerifyBody = closedObject(
  { target: text, volumeName: text, deep: flag, sample: { type: 'number', exclusiveMinimum: 0, maximum: 1 }, endpoint, encryptionKey },
  ['target'],
);
export const backupStoreBody = closedObject({ dest: text, endpoint, encryptionKey }, ['dest']);
export const backupKeyAddBody = closedObject({ dest: text, newKey: encryptionKey, label: text, endpoint, encryptionKey }, ['dest', 'newKey']);
export const backupKeyRemoveBody = closedObject({ dest: text, keyId: text, endpoint, encryptionKey }, ['dest', 'keyId']);
/** Addition (issue 21): copy the backups the target store lacks; keys for each store, never answered back. */
export const backupCopyBody = closedObject(
  {
    from: text,
    to: text,
    volumeName: text,
    backupUrl: text,
    fromEndpoint: endpoint,
    toEndpoint: endpoint,
    encryptionKey,
    targetEncryptionKey: encryptionKey,
    encrypt: flag,
    layout,
  },
  ['from', 'to'],
);
