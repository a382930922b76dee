import { describe, expect, it } from 'vitest';
import { parseMountInfo } from './mountinfo.js';
import { parsePoolStatus } from './pool-status.js';
import { parseDeviceList, poolTable } from './thin-pool.js';

describe('parsePoolStatus', () => {
  it('reads a live pool (line seen in the guest)', () => {
    expect(parsePoolStatus('0 1048576 thin-pool 0 418/4096 0/256 - rw discard_passdown error_if_no_space - 1024 ')).toEqual({
      mode: 'rw',
      transactionId: 0,
      usedMetadataBlocks: 418,
      totalMetadataBlocks: 4096,
      usedDataBlocks: 0,
      totalDataBlocks: 256,
      noSpacePolicy: 'error',
      needsCheck: false,
    });
  });

  it('reads a held metadata snapshot, a full pool and needs_check', () => {
    const status = parsePoolStatus('0 2097152 thin-pool 7 1658/16384 16384/16384 25 out_of_data_space discard_passdown queue_if_no_space needs_check 1024');
    expect(status).toMatchObject({ mode: 'out_of_data_space', heldMetadataRoot: 25, noSpacePolicy: 'queue', needsCheck: true, transactionId: 7 });
  });

  it('reads a failed pool', () => {
    expect(parsePoolStatus('0 2097152 thin-pool Fail').mode).toBe('fail');
  });

  it('refuses what is not a pool', () => {
    expect(() => parsePoolStatus('0 409600 thin 2048 409599')).toThrow(/not a thin-pool/);
  });
});

describe('pool tables and listings', () => {
  const geometry = { poolName: 'p', metadataNumber: '7:0', dataNumber: '7:1', dataSectors: 1048576, blockSizeSectors: 4096 };

  it('writes Convoy\u2019s pool table with the no-space policy', () => {
    expect(poolTable(geometry, 'error')).toBe('0 1048576 thin-pool 7:0 7:1 4096 32768 2 skip_block_zeroing error_if_no_space');
    expect(poolTable(geometry, 'queue')).toBe('0 1048576 thin-pool 7:0 7:1 4096 32768 1 skip_block_zeroing');
  });

  it('reads thin_ls device ids and refuses garbage', () => {
    expect(parseDeviceList('3 \n4 \n')).toEqual([3, 4]);
    expect(parseDeviceList('')).toEqual([]);
    expect(() => parseDeviceList('DEV\n3\n')).toThrow(/thin_ls/);
  });
});

describe('parseMountInfo', () => {
  it('reads device numbers and unescapes mount points', () => {
    const text = [
      '26 20 0:22 / / rw,relatime - overlay root rw,lowerdir=/run/s/host',
      '40 26 254:1 / /var/lib/convoy/devicemapper/mounts/my\\040vol rw,relatime shared:5 - ext4 /dev/mapper/convoy-pool-1-v rw',
      '',
    ].join('\n');
    expect(parseMountInfo(text)).toEqual([
      { device: '0:22', mountPoint: '/', fsType: 'overlay' },
      { device: '254:1', mountPoint: '/var/lib/convoy/devicemapper/mounts/my vol', fsType: 'ext4' },
    ]);
  });
});
