import type { BackupSummary } from '@convoy/core';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { CsiContext } from './context.js';
import type { BackupSnapshotRecord } from './csi-records.js';
import type { BackupTarget } from './parameters.js';
import { CsiStatusError, toServiceError, unavailable } from './status.js';

type Upload = { state: 'running'; done: Promise<void> } | { state: 'failed'; error: CsiStatusError };

/** Whether a `bak` snapshot's backup exists, from its record alone: what every read reports. */
export function isBackedUp(record: BackupSnapshotRecord): boolean {
  return record.backupUrl !== undefined;
}

/**
 * The uploads of `bak` snapshots, run in the background so CreateSnapshot answers at once
 * (`ready_to_use: false`) and the snapshot controller's repeated call sees it finish. A
 * finished upload is written into the snapshot's record. A failed one is kept until the next
 * CreateSnapshot of that snapshot reports it to the CO, whose retry then starts it again.
 * Only CreateSnapshot (`reportOrStart`) and a restart (`resumeUnfinished`) start uploads or
 * consume failures; reads (ListSnapshots) look at the record only (`isBackedUp`). Once
 * stopping, no upload starts.
 */
export class BackupUploads {
  private readonly uploads = new Map<string, Upload>();
  private stopping = false;

  constructor(private readonly ctx: CsiContext) {}

  /**
   * For CreateSnapshot: true once the backup exists; throws (once) the failure of the last
   * upload; else starts the upload unless one is running, and answers false.
   */
  async reportOrStart(record: BackupSnapshotRecord, target: BackupTarget): Promise<boolean> {
    if (isBackedUp(record)) return true;
    const upload = this.uploads.get(record.snapshot);
    if (upload?.state === 'running') return false;
    if (upload?.state === 'failed') {
      this.uploads.delete(record.snapshot);
      throw upload.error;
    }
    this.start(record, target);
    return false;
  }

  /** After a restart: starts the upload of every `bak` snapshot whose backup never finished. */
  resumeUnfinished(records: readonly BackupSnapshotRecord[]): void {
    for (const record of records) {
      const target = this.ctx.targets.get(record.target);
      if (isBackedUp(record) || !target) continue;
      this.ctx.log.info('csi snapshot backup resumed after a restart', { snapshot: record.snapshot, target: record.target });
      this.start(record, target);
    }
  }

  /** Waits for a running upload (before its snapshot is deleted), ignoring how it ends. */
  async settle(snapshot: string): Promise<void> {
    const upload = this.uploads.get(snapshot);
    if (upload?.state === 'running') await upload.done;
    this.uploads.delete(snapshot);
  }

  /**
   * Daemon shutdown: from now on no upload starts. Running ones are the volume manager's
   * operations, cancelled by its own shutdown; this does not wait for them.
   */
  stop(): void {
    this.stopping = true;
  }

  /** The snapshots whose upload is running, for the shutdown log. */
  get running(): string[] {
    return [...this.uploads].filter(([, u]) => u.state === 'running').map(([snapshot]) => snapshot);
  }

  private start(record: BackupSnapshotRecord, target: BackupTarget): void {
    if (this.stopping)
      throw unavailable(`the Convoy daemon is stopping: the backup of snapshot ${record.csiName} to target ${target.name} starts after it restarts`);
    const { ctx } = this;
    const done = (async () => {
      try {
        const summary: BackupSummary = await ctx.service.createBackup({
          snapshot: record.snapshot,
          dest: target.url,
          ...(target.endpoint === undefined ? {} : { endpoint: target.endpoint }),
        });
        await ctx.records.putBackup({ ...record, backupUrl: summary.url });
        this.uploads.delete(record.snapshot);
        ctx.log.info('csi snapshot backed up', { snapshot: record.snapshot, target: target.name, url: summary.url });
      } catch (error) {
        this.uploads.set(record.snapshot, { state: 'failed', error: uploadFailed(record, target, error) });
        ctx.log.error('csi snapshot backup failed; the next CreateSnapshot call reports it and retries', {
          snapshot: record.snapshot,
          target: target.name,
          err: error,
        });
      }
    })();
    this.uploads.set(record.snapshot, { state: 'running', done });
  }
}

/**
 * A failed upload as CreateSnapshot reports it: naming the snapshot and the target, with the
 * store's own status (UNAVAILABLE for a store error, which the snapshotter retries). A target
 * store that does not exist is FAILED_PRECONDITION: NOT_FOUND would tell the CO that the
 * source volume is gone.
 */
function uploadFailed(record: BackupSnapshotRecord, target: BackupTarget, error: unknown): CsiStatusError {
  const status = toServiceError(error);
  const code = status.code === GrpcStatus.NOT_FOUND || status.code === undefined ? GrpcStatus.FAILED_PRECONDITION : status.code;
  return new CsiStatusError(
    code,
    `the backup of snapshot ${record.csiName} to target ${target.name} failed: ${status.details ?? String(error)}; the next CreateSnapshot call retries it`,
  );
}
