import { DEFAULT_DRIVER_TRAITS } from '@convoy/core';
import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { capacityFits, sizeFromRange } from './capacity.js';
import { formatSnapshotId, parseSnapshotId, snapshotNameFor, volumeIdFor } from './ids.js';
import { paginate } from './pagination.js';
import { parseBackupTarget, parseSnapshotParameters, parseVolumeParameters } from './parameters.js';
import { fromOffset } from './snapshot-metadata.js';
import { CsiStatusError } from './status.js';

const MiB = 1 << 20;
const codeOf = (fn: () => unknown): number | undefined => {
  try {
    fn();
  } catch (err) {
    return err instanceof CsiStatusError ? err.code : -1;
  }
  return undefined;
};

describe('capacity ranges', () => {
  it('rounds required bytes up to the unit and stays within the limit', () => {
    expect(sizeFromRange({ required_bytes: 3 * MiB, limit_bytes: 0 }, 2 * MiB)).toBe(4 * MiB);
    expect(sizeFromRange({ required_bytes: 0, limit_bytes: 5 * MiB }, 2 * MiB)).toBe(4 * MiB);
    expect(sizeFromRange(null, 2 * MiB)).toBeUndefined();
    expect(codeOf(() => sizeFromRange({ required_bytes: 3 * MiB, limit_bytes: 3 * MiB }, 2 * MiB))).toBe(status.OUT_OF_RANGE);
    expect(codeOf(() => sizeFromRange({ required_bytes: 0, limit_bytes: MiB }, 2 * MiB))).toBe(status.OUT_OF_RANGE);
    expect(codeOf(() => sizeFromRange({ required_bytes: -1, limit_bytes: 0 }, 1))).toBe(status.INVALID_ARGUMENT);
    expect(capacityFits(4 * MiB, { required_bytes: 3 * MiB, limit_bytes: 0 })).toBe(true);
    expect(capacityFits(4 * MiB, { required_bytes: 5 * MiB, limit_bytes: 0 })).toBe(false);
    expect(capacityFits(4 * MiB, { required_bytes: 0, limit_bytes: 3 * MiB })).toBe(false);
  });

  it('takes 64-bit bounds as the server decodes them (decimal strings) and names huge ones exactly', () => {
    expect(sizeFromRange({ required_bytes: String(3 * MiB), limit_bytes: '0' }, 2 * MiB)).toBe(4 * MiB);
    expect(sizeFromRange({ required_bytes: String(Number.MAX_SAFE_INTEGER - 1), limit_bytes: '' }, 2)).toBe(Number.MAX_SAFE_INTEGER - 1);
    for (const [huge, code] of [
      ['9223372036854775807', status.OUT_OF_RANGE],
      ['9007199254740993', status.OUT_OF_RANGE],
      ['-9223372036854775808', status.INVALID_ARGUMENT],
    ] as const) {
      let message = '';
      expect(
        codeOf(() => {
          try {
            sizeFromRange({ required_bytes: huge, limit_bytes: '0' }, 1);
          } catch (err) {
            message = (err as Error).message;
            throw err;
          }
        }),
      ).toBe(code);
      expect(message).toContain(huge);
    }
    expect(codeOf(() => capacityFits(1, { required_bytes: '0', limit_bytes: '18446744073709551615' }))).toBe(status.OUT_OF_RANGE);
  });
});

describe('ids', () => {
  it('keeps plain CSI names as Convoy names and hashes the rest, always within 128 bytes', () => {
    expect(volumeIdFor('pvc-0b5f9d5e-8a43-4a59-9a3c-4d7bb3a9f1c2')).toBe('pvc-0b5f9d5e-8a43-4a59-9a3c-4d7bb3a9f1c2');
    const long = 'a'.repeat(128);
    expect(volumeIdFor(long)).toMatch(/^csi-vol-[0-9a-f]{32}$/);
    expect(volumeIdFor(long)).toBe(volumeIdFor(long));
    expect(snapshotNameFor('snap with spaces')).toMatch(/^csi-snap-[0-9a-f]{32}$/);
    const bak = formatSnapshotId({ kind: 'bak', target: 'a'.repeat(23), volume: volumeIdFor(long), snapshot: snapshotNameFor(long) });
    expect(Buffer.byteLength(bak)).toBeLessThanOrEqual(128);
    expect(parseSnapshotId(bak)).toEqual({ kind: 'bak', target: 'a'.repeat(23), volume: volumeIdFor(long), snapshot: snapshotNameFor(long) });
    expect(parseSnapshotId('snapshot-1')).toEqual({ kind: 'snap', snapshot: 'snapshot-1' });
    for (const bad of ['', '../x', 'bak/x/y', 'bak/UPPER/v/s', 'nfs/a/b/c']) expect(parseSnapshotId(bad)).toBeUndefined();
  });
});

describe('pagination', () => {
  const items = ['d', 'a', 'c', 'b', 'e'];
  it('pages a sorted list by the last key returned, surviving deletes of that key', () => {
    const first = paginate(items, (x) => x, 2, '');
    expect(first.entries).toEqual(['a', 'b']);
    const second = paginate(['a', 'c', 'd', 'e'], (x) => x, 2, first.nextToken);
    expect(second.entries).toEqual(['c', 'd']);
    expect(paginate(items, (x) => x, 0, second.nextToken)).toEqual({ entries: ['e'], nextToken: '' });
    expect(codeOf(() => paginate(items, (x) => x, 0, 'b'))).toBe(status.ABORTED);
    expect(codeOf(() => paginate(items, (x) => x, -1, ''))).toBe(status.INVALID_ARGUMENT);
  });
});

describe('parameters', () => {
  it('reads StorageClass, VolumeSnapshotClass and backup target settings, refusing unknown keys', () => {
    const vfs = { ...DEFAULT_DRIVER_TRAITS, createOptions: ['vm', 'PrepareForVM'], changedBlocks: false };
    const devicemapper = { nodeLocal: true, blockDevice: true, sizeUnit: 2 << 20, honoursSize: true, createOptions: [], changedBlocks: true };
    expect(parseVolumeParameters({ driver: 'vfs', vm: 'true' }, { vfs }, 'vfs')).toEqual({ driver: 'vfs', options: { vm: 'true' } });
    expect(parseVolumeParameters({ 'csi.storage.k8s.io/pvc/name': 'x' }, { vfs }, 'vfs')).toEqual({ options: {} });
    expect(codeOf(() => parseVolumeParameters({ driver: 'devicemapper', vm: 'true' }, { vfs, devicemapper }, 'vfs'))).toBe(status.INVALID_ARGUMENT);
    const targets = new Map([['offsite', parseBackupTarget('offsite=s3://bucket@us-east-1/k8s,endpoint=http://127.0.0.1:9000')]]);
    expect(targets.get('offsite')).toEqual({ name: 'offsite', url: 's3://bucket@us-east-1/k8s', endpoint: 'http://127.0.0.1:9000' });
    expect(parseSnapshotParameters({}, targets)).toEqual({ type: 'snap' });
    expect(parseSnapshotParameters({ type: 'bak', backupTarget: 'offsite' }, targets)).toMatchObject({ type: 'bak', target: { name: 'offsite' } });
    expect(codeOf(() => parseSnapshotParameters({ type: 'snap', backupTarget: 'offsite' }, targets))).toBe(status.INVALID_ARGUMENT);
    expect(parseSnapshotParameters({ consistent: 'true' }, targets)).toEqual({ type: 'snap', consistent: true });
    expect(parseSnapshotParameters({ consistent: 'false' }, targets)).toEqual({ type: 'snap' });
    expect(parseSnapshotParameters({ type: 'bak', backupTarget: 'offsite', consistent: 'true' }, targets)).toMatchObject({ type: 'bak', consistent: true });
    for (const bad of ['yes', 'TRUE', '', '1']) expect(codeOf(() => parseSnapshotParameters({ consistent: bad }, targets))).toBe(status.INVALID_ARGUMENT);
    for (const bad of ['=s3://b/p', 'Upper=s3://b/p', 'x=', 'x=s3://b/p,region=eu']) expect(codeOf(() => parseBackupTarget(bad))).toBe(status.INVALID_ARGUMENT);
  });
});

describe('resuming block metadata', () => {
  const extents = [
    { offset: 0, length: 128 },
    { offset: 256, length: 192 },
  ];
  it('drops extents ending before the offset and restarts a spanning one at its block', () => {
    expect(fromOffset(extents, 0, 64)).toEqual(extents);
    expect(fromOffset(extents, 128, 64)).toEqual([{ offset: 256, length: 192 }]);
    expect(fromOffset(extents, 330, 64)).toEqual([{ offset: 320, length: 128 }]);
    expect(fromOffset(extents, 448, 64)).toEqual([]);
  });
});
