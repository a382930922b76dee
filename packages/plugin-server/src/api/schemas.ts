/**
 * JSON schemas of the request bodies, field for field Go Convoy's request structs (go-types.ts)
 * plus Convoy's additions. Every object is closed (additionalProperties false), so a misspelt
 * field is an error naming it rather than silently ignored.
 */
import { COMPRESSION_METHODS, STORE_LAYOUTS } from '@convoy/core/lite';

const text = { type: 'string' } as const;
const flag = { type: 'boolean' } as const;
const bytes = { type: 'integer', minimum: 0 } as const;
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

function closedObject(properties: Record<string, object>, required: string[] = []) {
  return { type: 'object', additionalProperties: false, required, properties } as const;
}

export const volumeCreateBody = closedObject({
  Name: text,
  DriverName: text,
  Size: bytes,
  BackupURL: text,
  Endpoint: endpoint,
  DriverVolumeID: text,
  Type: text,
  IOPS: { type: 'integer' },
  PrepareForVM: flag,
  Verbose: flag,
  Options: { type: 'object', additionalProperties: { type: 'string' } },
  EncryptionKey: encryptionKey,
});
export const volumeNameBody = closedObject({ VolumeName: text }, ['VolumeName']);
export const volumeDeleteBody = closedObject({ VolumeName: text, ReferenceOnly: flag }, ['VolumeName']);
export const volumeMountBody = closedObject({ VolumeName: text, MountPoint: text, Verbose: flag }, ['VolumeName']);
export const volumeResizeBody = closedObject({ VolumeName: text, Size: bytes }, ['VolumeName', 'Size']);
export const snapshotCreateBody = closedObject({ Name: text, VolumeName: text, Verbose: flag }, ['VolumeName']);
export const snapshotNameBody = closedObject({ SnapshotName: text }, ['SnapshotName']);
export const backupCreateBody = closedObject(
  { URL: text, Endpoint: endpoint, SnapshotName: text, Verbose: flag, Compression: compression, BlockSize: { type: 'integer', minimum: 1 }, Layout: layout, Encrypt: flag, EncryptionKey: encryptionKey },
  ['URL', 'SnapshotName'],
);
/** List, inspect and delete: Go's client sends BackupListRequest's four fields to inspect and list. */
export const backupUrlBody = closedObject({ URL: text, Endpoint: endpoint, VolumeName: text, SnapshotName: text, EncryptionKey: encryptionKey }, ['URL']);
export const backupPruneBody = closedObject({ URL: text, Endpoint: endpoint, GraceSeconds: bytes, MaxUnusedPercent: { type: 'number' }, EncryptionKey: encryptionKey }, ['URL']);

// Convoy's additions below (retention and schedules) keep Convoy's own field names.

/** A keep count: the schema admits any integer so that the manager names a negative one. */
const count = { type: 'integer' } as const;
/** The body's policy, as `validateRetentionPolicy` in core checks it. */
const retentionPolicy = closedObject({ last: count, hourly: count, daily: count, weekly: count, monthly: count, yearly: count, within: text });
export const backupForgetBody = closedObject({ dest: text, volumeName: text, policy: retentionPolicy, dryRun: flag, endpoint, encryptionKey }, ['dest', 'volumeName', 'policy']);
export const snapshotForgetBody = closedObject({ volume: text, policy: retentionPolicy, dryRun: flag }, ['volume', 'policy']);
export const scheduleCreateBody = closedObject(
  {
    name: text,
    volume: text,
    every: text,
    cron: text,
    timezone: text,
    jitter: text,
    backup: closedObject({ dest: text, compression, endpoint, layout }, ['dest']),
    keep: retentionPolicy,
  },
  ['name', 'volume'],
);
export const scheduleNameBody = closedObject({ name: text }, ['name']);

// Encryption and verify (Convoy additions, Convoy's own field names).
export const backupVerifyBody = closedObject(
  { target: text, volumeName: text, deep: flag, sample: { type: 'number', exclusiveMinimum: 0, maximum: 1 }, endpoint, encryptionKey },
  ['target'],
);
export const backupStoreBody = closedObject({ dest: text, endpoint, encryptionKey }, ['dest']);
export const backupKeyAddBody = closedObject({ dest: text, newKey: encryptionKey, label: text, endpoint, encryptionKey }, ['dest', 'newKey']);
export const backupKeyRemoveBody = closedObject({ dest: text, keyId: text, endpoint, encryptionKey }, ['dest', 'keyId']);
