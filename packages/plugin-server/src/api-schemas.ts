/**
 * JSON schemas of the bodies Convoy's API accepts. Every object is closed
 * (additionalProperties false), so a misspelt field is an error rather than silently ignored.
 */
const text = { type: 'string' } as const;
const endpoint = { type: 'string', description: 'S3 endpoint (MinIO and other S3-compatible servers); s3:// URLs only' } as const;

function closedObject(properties: Record<string, object>, required: string[] = []) {
  return { type: 'object', additionalProperties: false, required, properties } as const;
}

/** Bytes, or a string with a k/m/g/t suffix. */
const size = { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string' }] } as const;

export const volumeCreateBody = closedObject({
  name: text,
  driver: text,
  size,
  backupUrl: text,
  endpoint,
  options: { type: 'object', additionalProperties: { type: 'string' } },
});
export const volumeNameBody = closedObject({ name: text }, ['name']);
export const volumeDeleteBody = closedObject({ name: text, referenceOnly: { type: 'boolean' } }, ['name']);
export const volumeResizeBody = closedObject({ name: text, size }, ['name', 'size']);
export const volumeMountBody = closedObject({ name: text, mountpoint: text }, ['name']);
export const snapshotCreateBody = closedObject({ volume: text, name: text }, ['volume']);
export const snapshotNameBody = closedObject({ name: text }, ['name']);
export const backupCreateBody = closedObject(
  { snapshot: text, dest: text, compression: { type: 'string', enum: ['lz4', 'zstd', 'gzip', 'none'] }, blockSize: { type: 'integer', minimum: 1 }, endpoint },
  ['snapshot', 'dest'],
);
export const backupUrlBody = closedObject({ url: text, endpoint }, ['url']);
export const backupListBody = closedObject({ dest: text, volumeName: text, endpoint }, ['dest']);
export const backupPruneBody = closedObject({ dest: text, graceSeconds: { type: 'integer', minimum: 0 }, endpoint }, ['dest']);
