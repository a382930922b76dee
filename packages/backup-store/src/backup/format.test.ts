import { formatRubyDate, isConvoyError, parseStoreTime, storeTimeToIso } from '@convoy/core';
import { describe, expect, it } from 'vitest';
import { blockChecksum } from './checksum.js';
import { backupFileKey, blockKey, checksumFromBlockKey, volumeDir, volumeNameFromDir } from './layout.js';
import { decodeBackupConfig, decodeVolumeConfig, encodeBackupConfig, encodeVolumeConfig } from './records.js';

const CHECKSUM = 'a'.repeat(64);

function corrupt(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(isConvoyError(err, 'CORRUPT')).toBe(true);
    return (err as Error).message;
  }
  throw new Error('expected CORRUPT');
}

describe('store layout', () => {
  it('shards volumes by the first four characters, padding with !', () => {
    expect(volumeDir('vol1')).toBe('convoy-objectstore/volumes/vo/l1/vol1/');
    expect(volumeDir('abc')).toBe('convoy-objectstore/volumes/ab/c!/abc!/');
    expect(volumeNameFromDir('abc!')).toBe('abc');
    expect(volumeNameFromDir('vol1')).toBe('vol1');
    expect(volumeNameFromDir('ab!c')).toBeUndefined();
    expect(volumeNameFromDir('a!!!')).toBeUndefined();
    expect(() => volumeDir('../x')).toThrow(/invalid volume name/);
  });

  it('names blocks by checksum and refuses anything else as a key', () => {
    expect(blockKey('vol1', CHECKSUM)).toBe(`convoy-objectstore/volumes/vo/l1/vol1/blocks/aa/aa/${CHECKSUM}.blk`);
    expect(checksumFromBlockKey(blockKey('vol1', CHECKSUM))).toBe(CHECKSUM);
    expect(checksumFromBlockKey(`convoy-objectstore/volumes/vo/l1/vol1/blocks/ab/aa/${CHECKSUM}.blk`)).toBeUndefined();
    corrupt(() => blockKey('vol1', '../../etc/passwd'));
    expect(backupFileKey('vol1', 'backup-1')).toBe('convoy-objectstore/volumes/vo/l1/vol1/BackupFiles/backup-1.bak');
  });

  it("checksums are SHA-512 cut to 64 hex characters, as Convoy's util.GetChecksum", () => {
    // sha512("abc") = ddaf35a193617aba cc417349ae204131 12e6fa4e89a97ea2 0a9eeee64b55d39a ...
    expect(blockChecksum(Buffer.from('abc'))).toBe('ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a');
  });
});

describe('store records', () => {
  it("writes volume.cfg as Go's json.Marshal would, keeping fields it does not know", () => {
    const volume = { Name: 'vol1', Driver: 'devicemapper', Size: 2147483648, CreatedTime: 'Mon Jan 02 15:04:05 +0000 2006', LastBackupName: 'backup-1' };
    expect(encodeVolumeConfig(volume).toString()).toBe(
      '{"Name":"vol1","Driver":"devicemapper","Size":2147483648,"CreatedTime":"Mon Jan 02 15:04:05 +0000 2006","LastBackupName":"backup-1"}',
    );
    const { volume: read, raw } = decodeVolumeConfig(Buffer.from('{"Name":"vol1","Size":1,"Future":{"x":1}}'), 'k');
    expect(read).toEqual({ Name: 'vol1', Driver: '', Size: 1, CreatedTime: '', LastBackupName: '' });
    expect(JSON.parse(encodeVolumeConfig({ ...read, LastBackupName: 'b2' }, raw).toString()).Future).toEqual({ x: 1 });
  });

  it('omits Blocks when empty and puts our fields after Convoy’s', () => {
    const base = { Name: 'backup-1', Driver: '', VolumeName: 'vol1', SnapshotName: 's', SnapshotCreatedAt: '', CreatedTime: '', SingleFile: { FilePath: 'f' } };
    expect(encodeBackupConfig({ ...base, Blocks: [] }).toString()).toBe(
      '{"Name":"backup-1","Driver":"","VolumeName":"vol1","SnapshotName":"s","SnapshotCreatedAt":"","CreatedTime":"","SingleFile":{"FilePath":"f"}}',
    );
    const full = encodeBackupConfig({ ...base, Blocks: [{ Offset: 0, BlockChecksum: CHECKSUM }], CompressionMethod: 'lz4', VolumeSize: 4, UploadedBytes: 3 });
    expect(Object.keys(JSON.parse(full.toString()))).toEqual([
      'Name',
      'Driver',
      'VolumeName',
      'SnapshotName',
      'SnapshotCreatedAt',
      'CreatedTime',
      'Blocks',
      'SingleFile',
      'CompressionMethod',
      'VolumeSize',
      'UploadedBytes',
    ]);
    expect(decodeBackupConfig(full, 'k')).toMatchObject({ CompressionMethod: 'lz4', VolumeSize: 4, Blocks: [{ Offset: 0, BlockChecksum: CHECKSUM }] });
  });

  it('refuses records that would lead a restore or a delete astray', () => {
    const record = (over: object) => Buffer.from(JSON.stringify({ Name: 'backup-1', VolumeName: 'vol1', SingleFile: { FilePath: '' }, ...over }));
    expect(corrupt(() => decodeBackupConfig(Buffer.from('{not json'), 'the-key'))).toContain('the-key');
    corrupt(() => decodeBackupConfig(record({ Blocks: [{ Offset: 0, BlockChecksum: '../../x' }] }), 'k'));
    corrupt(() => decodeBackupConfig(record({ Blocks: [{ Offset: 12, BlockChecksum: CHECKSUM }] }), 'k'));
    corrupt(() =>
      decodeBackupConfig(
        record({
          Blocks: [
            { Offset: 2097152, BlockChecksum: CHECKSUM },
            { Offset: 0, BlockChecksum: CHECKSUM },
          ],
        }),
        'k',
      ),
    );
    corrupt(() => decodeBackupConfig(record({ CompressionMethod: 'brotli' }), 'k'));
    // A block size must be a power of two from 64 KiB to 2 MiB, and every offset a multiple of it.
    for (const BlockSize of [0, 4096, 3 * 65536, 4 * 1048576]) corrupt(() => decodeBackupConfig(record({ BlockSize }), 'k'));
    corrupt(() => decodeBackupConfig(record({ BlockSize: 65536, Blocks: [{ Offset: 32768, BlockChecksum: CHECKSUM }] }), 'k'));
    expect(decodeBackupConfig(record({ BlockSize: 65536, Blocks: [{ Offset: 65536, BlockChecksum: CHECKSUM }] }), 'k').BlockSize).toBe(65536);
    corrupt(() => decodeVolumeConfig(Buffer.from('{"Name":"vol1","BlockSize":1000}'), 'k'));
    corrupt(() => decodeBackupConfig(record({ VolumeName: '../vol' }), 'k'));
    corrupt(() => decodeVolumeConfig(Buffer.from('{"Name":"vol1","Size":-5}'), 'k'));
  });
});

describe('store timestamps', () => {
  it('writes RubyDate in UTC and reads RubyDate with any offset and ISO-8601', () => {
    const when = new Date('2006-01-02T22:04:05.000Z');
    expect(formatRubyDate(when)).toBe('Mon Jan 02 22:04:05 +0000 2006');
    expect(parseStoreTime('Mon Jan 02 15:04:05 -0700 2006')?.toISOString()).toBe('2006-01-02T22:04:05.000Z');
    expect(parseStoreTime('Tue Jan 03 06:34:05 +0830 2006')?.toISOString()).toBe('2006-01-02T22:04:05.000Z');
    expect(parseStoreTime('2006-01-02T22:04:05Z')?.toISOString()).toBe('2006-01-02T22:04:05.000Z');
    expect(parseStoreTime('')).toBeUndefined();
    expect(parseStoreTime('Mon Foo 02 15:04:05 -0700 2006')).toBeUndefined();
    expect(storeTimeToIso('not a time')).toBe('not a time');
  });
});
