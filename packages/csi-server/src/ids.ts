import { createHash } from 'node:crypto';
import { isValidName } from '@convoy/core';
import { invalidArgument } from './status.js';

/** The CSI spec's limit on every string field, ids included. */
export const CSI_MAX_STRING_BYTES = 128;

/**
 * A CSI name short and plain enough is used as the Convoy name itself, so `convoy list` shows
 * `pvc-<uid>` as Kubernetes does. Longer or exotic names map to a stable hash, which keeps
 * CreateVolume idempotent (same name → same id) and every id well inside 128 bytes, with room
 * for a `bak/` snapshot id that carries a volume and a snapshot name.
 */
const MAX_DIRECT_NAME = 48;

function convoyNameFor(csiName: string, prefix: string): string {
  if (isValidName(csiName) && csiName.length <= MAX_DIRECT_NAME) return csiName;
  return `${prefix}${createHash('sha256').update(csiName).digest('hex').slice(0, 32)}`;
}

export const volumeIdFor = (csiName: string): string => convoyNameFor(csiName, 'csi-vol-');
export const snapshotNameFor = (csiName: string): string => convoyNameFor(csiName, 'csi-snap-');

/** Target names are short so a `bak/` id always fits in 128 bytes. */
export const TARGET_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,22}$/;

/**
 * A snapshot id: either a local Convoy snapshot name (`snap` class), or
 * `bak/<target>/<volume>/<snapshot>` for a snapshot backed up to the named backup target. The
 * backup is found again by listing the volume's backups in that target and matching the
 * snapshot name, so the id can be handed out before the upload has finished and any node with
 * the same target configuration can restore it.
 */
export type SnapshotId = { kind: 'snap'; snapshot: string } | { kind: 'bak'; target: string; volume: string; snapshot: string };

export function formatSnapshotId(id: SnapshotId): string {
  return id.kind === 'snap' ? id.snapshot : `bak/${id.target}/${id.volume}/${id.snapshot}`;
}

/** Undefined for an id this plugin never hands out: such a snapshot does not exist. */
export function parseSnapshotId(text: string): SnapshotId | undefined {
  const parts = text.split('/');
  if (parts.length === 1) return isValidName(text) ? { kind: 'snap', snapshot: text } : undefined;
  if (parts.length !== 4 || parts[0] !== 'bak') return undefined;
  const [, target, volume, snapshot] = parts as [string, string, string, string];
  if (!TARGET_NAME_PATTERN.test(target) || !isValidName(volume) || !isValidName(snapshot)) return undefined;
  return { kind: 'bak', target, volume, snapshot };
}

/** INVALID_ARGUMENT for a missing field; the spec's 128-byte limit for every id and name. */
export function requireField(value: string | undefined | null, field: string): string {
  if (value === undefined || value === null || value === '') throw invalidArgument(`${field} is required`);
  if (Buffer.byteLength(value) > CSI_MAX_STRING_BYTES)
    throw invalidArgument(`${field} is ${Buffer.byteLength(value)} bytes long; CSI allows ${CSI_MAX_STRING_BYTES}`);
  return value;
}
