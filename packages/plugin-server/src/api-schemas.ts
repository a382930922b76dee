/**
 * JSON schemas of the bodies Convoy's API accepts. Every object is closed
 * (additionalProperties false), so a misspelt field is an error rather than silently ignored.
 */
import { COMPRESSION_METHODS } from '@convoy/core';

export const text = { type: 'string' } as const;
export const endpoint = { type: 'string', description: 'S3 endpoint (MinIO and other S3-compatible servers); s3:// URLs only' } as const;

/** A user key for an encrypted store; the secret is base64. */
export const encryptionKey = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'secret'],
  properties: { kind: { type: 'string', enum: ['passphrase', 'key-file'] }, secret: { type: 'string' } },
} as const;

export function closedObject(properties: Record<string, object>, required: string[] = []) {
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
  encryptionKey,
});
export const volumeNameBody = closedObject({ name: text }, ['name']);
export const volumeDeleteBody = closedObject({ name: text, referenceOnly: { type: 'boolean' } }, ['name']);
export const volumeResizeBody = closedObject({ name: text, size }, ['name', 'size']);
export const volumeMountBody = closedObject({ name: text, mountpoint: text }, ['name']);
export const snapshotCreateBody = closedObject({ volume: text, name: text }, ['volume']);
export const snapshotNameBody = closedObject({ name: text }, ['name']);
export const backupCreateBody = closedObject(
  { snapshot: text, dest: text, compression: { type: 'string', enum: [...COMPRESSION_METHODS] }, endpoint, encrypt: { type: 'boolean' }, encryptionKey },
  ['snapshot', 'dest'],
);
export const backupUrlBody = closedObject({ url: text, endpoint, encryptionKey }, ['url']);
export const backupListBody = closedObject({ dest: text, volumeName: text, endpoint, encryptionKey }, ['dest']);
export const backupPruneBody = closedObject({ dest: text, graceSeconds: { type: 'integer', minimum: 0 }, endpoint, encryptionKey }, ['dest']);
export const backupVerifyBody = closedObject(
  { target: text, volumeName: text, deep: { type: 'boolean' }, sample: { type: 'number', exclusiveMinimum: 0, maximum: 1 }, endpoint, encryptionKey },
  ['target'],
);
export const backupStoreBody = closedObject({ dest: text, endpoint, encryptionKey }, ['dest']);
export const backupKeyAddBody = closedObject({ dest: text, newKey: encryptionKey, label: text, endpoint, encryptionKey }, ['dest', 'newKey']);
export const backupKeyRemoveBody = closedObject({ dest: text, keyId: text, endpoint, encryptionKey }, ['dest', 'keyId']);
