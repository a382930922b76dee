import { invalidArgument } from '@convoy/core/testing';
import { describe, expect, it } from 'vitest';
import { parseOptions } from './options.js';
import { describeBytes } from './size.js';

const invalid = invalidArgument;

describe('parseOptions', () => {
  it('applies Convoy defaults', () => {
    expect(parseOptions({ 'dm.datadev': '/dev/loop1', 'dm.metadatadev': '/dev/loop0' })).toEqual({
      dataDevice: '/dev/loop1',
      metadataDevice: '/dev/loop0',
      poolName: 'convoy-pool',
      blockSizeSectors: 4096,
      blockSizeGiven: false,
      poolNameGiven: false,
      defaultVolumeSize: 100 * 1024 ** 3,
      fs: 'ext4',
      noSpacePolicy: 'error',
      warnPercent: 80,
    });
  });

  it('reads every option and ignores other drivers\u2019 keys', () => {
    const parsed = parseOptions({
      'dm.datadev': '/dev/sdb',
      'dm.metadatadev': '/dev/sdc1',
      'dm.thinpoolname': 'tank',
      'dm.thinpoolblocksize': '128',
      'dm.defaultvolumesize': '64m',
      'dm.fs': 'xfs',
      'dm.nospace': 'queue',
      'dm.warnpercent': '95',
      'vfs.path': '/somewhere',
    });
    expect(parsed).toMatchObject({
      poolName: 'tank',
      blockSizeSectors: 128,
      blockSizeGiven: true,
      defaultVolumeSize: 64 * 1024 ** 2,
      fs: 'xfs',
      noSpacePolicy: 'queue',
      warnPercent: 95,
    });
  });

  it('lets the device options be absent (a later start reuses the recorded devices)', () => {
    expect(parseOptions({}).dataDevice).toBeUndefined();
  });

  it.each([
    [{ 'dm.thinpoolblocksize': '100' }, 'multiple of 128'],
    [{ 'dm.thinpoolblocksize': '4194304' }, 'multiple of 128'],
    [{ 'dm.thinpoolblocksize': '2k' }, 'whole number'],
    [{ 'dm.defaultvolumesize': '0' }, 'non-zero multiple'],
    [{ 'dm.defaultvolumesize': '3m' }, 'multiple of the pool block size (2 MiB)'],
    [{ 'dm.defaultvolumesize': '1.5G' }, 'dm.defaultvolumesize "1.5G" is not a size'],
    [{ 'dm.fs': 'btrfs' }, 'ext4, xfs'],
    [{ 'dm.nospace': 'wait' }, 'error, queue'],
    [{ 'dm.warnpercent': '0' }, 'between 1 and 100'],
    [{ 'dm.thinpoolname': 'bad/name' }, 'dm.thinpoolname'],
    [{ 'dm.datadev': 'loop0' }, 'absolute path'],
    [{ 'dm.datadev': '/dev/loop0', 'dm.metadatadev': '/dev/loop0' }, 'different device'],
    [{ 'dm.datadevice': '/dev/loop0' }, 'unknown option dm.datadevice'],
  ])('refuses %j', (options, message) => {
    expect(invalid(() => parseOptions(options))).toContain(message);
  });
});

describe('describeBytes', () => {
  it('describes sizes exactly in the largest whole unit', () => {
    expect(describeBytes(2 * 1024 * 1024)).toBe('2 MiB');
    expect(describeBytes(100 * 1024 ** 3)).toBe('100 GiB');
    expect(describeBytes(1536 * 1024)).toBe('1536 KiB');
    expect(describeBytes(1000)).toBe('1000 B');
  });
});
