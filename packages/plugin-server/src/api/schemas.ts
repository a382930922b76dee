/**
 * JSON schemas of the request bodies, field for field Go Convoy's request structs (go-types.ts)
 * plus Convoy's additions. Every object is closed (additionalProperties false), so a misspelt
 * field is an error naming it rather than silently ignored.
 */
const text = { type: 'string' } as const;
const flag = { type: 'boolean' } as const;
const bytes = { type: 'integer', minimum: 0 } as const;
const endpoint = { type: 'string', description: 'S3 endpoint (MinIO and other S3-compatible servers); s3:// URLs only' } as const;

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
});
export const volumeNameBody = closedObject({ VolumeName: text }, ['VolumeName']);
export const volumeDeleteBody = closedObject({ VolumeName: text, ReferenceOnly: flag }, ['VolumeName']);
export const volumeMountBody = closedObject({ VolumeName: text, MountPoint: text, Verbose: flag }, ['VolumeName']);
export const volumeResizeBody = closedObject({ VolumeName: text, Size: bytes }, ['VolumeName', 'Size']);
export const snapshotCreateBody = closedObject({ Name: text, VolumeName: text, Verbose: flag }, ['VolumeName']);
export const snapshotNameBody = closedObject({ SnapshotName: text }, ['SnapshotName']);
export const backupCreateBody = closedObject(
  { URL: text, Endpoint: endpoint, SnapshotName: text, Verbose: flag, Compression: { type: 'string', enum: ['lz4', 'gzip', 'none'] } },
  ['URL', 'SnapshotName'],
);
/** List, inspect and delete: Go's client sends BackupListRequest's four fields to inspect and list. */
export const backupUrlBody = closedObject({ URL: text, Endpoint: endpoint, VolumeName: text, SnapshotName: text }, ['URL']);
export const backupPruneBody = closedObject({ URL: text, Endpoint: endpoint, GraceSeconds: bytes }, ['URL']);
