/*
 * A scheduled run whose backup fails removes the snapshot it made and says so, or says why it
 * could not; it never goes on to retention. The service's faults are injected (the store fails,
 * then the snapshot delete fails); what is under test is the run itself.
 */

import type { SnapshotRecord } from '@convoy/core';
import { ConvoyError } from '@convoy/core';
import { describe, expect, it } from 'vitest';
import type { StoreOperations, VolumeService } from '../manager/types.js';
import { runSchedule } from './run-schedule.js';

function serviceWithFaults(deleteFault?: ConvoyError) {
  const calls: string[] = [];
  const service = {
    findVolume: async (name: string) => {
      calls.push(`findVolume ${name}`);
      return { name } as never;
    },
    createSnapshot: async (volume: string, name: string) => {
      calls.push(`createSnapshot ${volume} ${name}`);
      return { name, volumeName: volume, createdAt: new Date(0).toISOString() } as unknown as SnapshotRecord;
    },
    createBackup: async () => {
      calls.push('createBackup');
      throw new ConvoyError('STORE_ERROR', 'cannot reach the store');
    },
    deleteSnapshot: async (name: string) => {
      calls.push(`deleteSnapshot ${name}`);
      if (deleteFault) throw deleteFault;
    },
    getVolume: async () => {
      calls.push('getVolume (retention)');
      throw new Error('retention must not run after a failed backup');
    },
  };
  const stores = {
    forgetBackups: async () => {
      calls.push('forgetBackups (retention)');
      throw new Error('retention must not run after a failed backup');
    },
  };
  return { service: service as unknown as VolumeService, stores: stores as unknown as StoreOperations, calls };
}

const spec = { name: 'nightly', volume: 'db', every: '1h', backup: { dest: 'vfs:///nowhere' }, keep: { last: 2 } };
const at = Date.UTC(2026, 0, 2, 3, 0, 0, 123);

describe('a scheduled run whose backup fails', () => {
  it('removes the snapshot it made, keeps the store error code, and says both', async () => {
    const { service, stores, calls } = serviceWithFaults();
    const failure = await runSchedule(service, stores, spec, at).catch((err: unknown) => err);
    expect(failure).toMatchObject({
      code: 'STORE_ERROR',
      message: "backup of nightly-20260102T030000123Z failed: cannot reach the store; the run's snapshot was removed",
    });
    expect(calls).toEqual(['findVolume db', 'createSnapshot db nightly-20260102T030000123Z', 'createBackup', 'deleteSnapshot nightly-20260102T030000123Z']);
  });

  it('says so when the snapshot cannot be removed either, still with the backup error first', async () => {
    const { service, stores, calls } = serviceWithFaults(new ConvoyError('BUSY', 'snapshot is in use'));
    const failure = await runSchedule(service, stores, spec, at).catch((err: unknown) => err);
    expect(failure).toMatchObject({
      code: 'STORE_ERROR',
      message: "backup of nightly-20260102T030000123Z failed: cannot reach the store; the run's snapshot could not be removed either: snapshot is in use",
    });
    expect(calls.at(-1)).toBe('deleteSnapshot nightly-20260102T030000123Z');
  });
});
