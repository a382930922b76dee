import type { BackupSummary, ObjectStore } from '@convoy/core';
import { ConvoyError, validateName } from '@convoy/core';
import { applyRetentionPolicy, type RetentionPolicy, validateRetentionPolicy } from '../retention/policy.js';
import { type EngineContext, withStoreLock } from './context.js';
import { collectDetached, detachBackup, loadDeletionJournals } from './delete.js';
import { listBackupNames, loadBackupConfig, loadVolumeConfig } from './store-records.js';
import { summarizeBackup } from './summary.js';
import type { ForgetReport } from './types.js';
import { runWorkers } from './workers.js';

export interface ForgetParams {
  store: ObjectStore;
  destUrl: string;
  volumeName: string;
  policy: RetentionPolicy;
  owner: string;
  /** Decide and report only: no lock is taken and nothing in the store is written. */
  dryRun?: boolean;
}

/**
 * Applies a retention policy to the backups of one volume (restic's `forget`). The whole forget
 * runs under ONE exclusive store lock: every backup the policy drops is detached first (its
 * record journalled and removed, as delete does), then the blocks only they used are collected
 * in one pass over the remaining records — the same collection code as delete, never a walk of
 * the block tree. A forget killed at any point leaves only listed backups that restore; running
 * it again finishes the journalled ones and decides the same (the policy is idempotent: what it
 * keeps, it keeps again).
 */
export async function forgetBackups(ctx: EngineContext, p: ForgetParams): Promise<ForgetReport> {
  validateName(p.volumeName, 'volume');
  const policy = validateRetentionPolicy(p.policy);
  if (p.dryRun) return decide(p, policy, true);
  if (!p.owner) throw new ConvoyError('INVALID_ARGUMENT', 'a forget needs an owner (host and process) for the store lock');
  return withStoreLock(ctx, p.store, p.volumeName, 'forget', p.owner, async (lock) => {
    const unfinished = await loadDeletionJournals(p.store, p.volumeName);
    const report = await decide(p, policy, false);
    const detached = [...unfinished];
    for (const backup of report.removed) {
      lock.assertHeld();
      detached.push(await detachBackup(p.store, p.volumeName, backup.name, await loadBackupConfig(p.store, p.volumeName, backup.name)));
      ctx.records.forget(p.store, p.volumeName, backup.name);
    }
    lock.assertHeld();
    await collectDetached(p.store, p.volumeName, detached, lock.key);
    return report;
  });
}

async function decide(p: ForgetParams, policy: RetentionPolicy, dryRun: boolean): Promise<ForgetReport> {
  const stored = await loadVolumeConfig(p.store, p.volumeName);
  const names = await listBackupNames(p.store, p.volumeName);
  if (!stored && names.length === 0) {
    throw new ConvoyError('NOT_FOUND', `volume ${p.volumeName} has no backups in ${p.store.url}`, { details: { volume: p.volumeName } });
  }
  const summaries: BackupSummary[] = [];
  await runWorkers(names, 8, async (name) => {
    const backup = await loadBackupConfig(p.store, p.volumeName, name);
    if (backup) summaries.push(summarizeBackup(p.destUrl, stored?.volume, backup));
  });
  const decision = applyRetentionPolicy(summaries, policy);
  return {
    volumeName: p.volumeName,
    dryRun,
    policy,
    kept: decision.keep.map(({ item, reasons }) => ({ backup: item, reasons })),
    removed: decision.remove,
  };
}
