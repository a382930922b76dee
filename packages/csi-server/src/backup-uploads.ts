import type { BackupSummary } from '@convoy/core';
import type { CsiContext } from './context.js';
import type { BackupSnapshotRecord } from './csi-records.js';
import type { BackupTarget } from './parameters.js';

type Upload = { state: 'running'; done: Promise<void> } | { state: 'failed'; error: unknown };

/**
 * The uploads of `bak` snapshots, run in the background so CreateSnapshot answers at once
 * (`ready_to_use: false`) and the snapshot controller's repeated call sees it finish. A finished
 * upload is written into the snapshot's record; a failed one is reported to the next call, which
 * then starts it again. After a restart, a record without a URL restarts its upload.
 */
export class BackupUploads {
  private readonly uploads = new Map<string, Upload>();

  constructor(private readonly ctx: CsiContext) {}

  /** True once the backup exists; starts (or restarts) the upload when none is running. */
  async readiness(record: BackupSnapshotRecord, target: BackupTarget): Promise<boolean> {
    if (record.backupUrl) return true;
    const upload = this.uploads.get(record.snapshot);
    if (upload?.state === 'running') return false;
    if (upload?.state === 'failed') {
      this.uploads.delete(record.snapshot);
      throw upload.error;
    }
    this.start(record, target);
    return false;
  }

  /** Waits for a running upload (before its snapshot is deleted), ignoring how it ends. */
  async settle(snapshot: string): Promise<void> {
    const upload = this.uploads.get(snapshot);
    if (upload?.state === 'running') await upload.done;
    this.uploads.delete(snapshot);
  }

  /** Resolves when no upload is running (daemon shutdown). */
  async drain(): Promise<void> {
    await Promise.all([...this.uploads.values()].map((u) => (u.state === 'running' ? u.done : undefined)));
  }

  private start(record: BackupSnapshotRecord, target: BackupTarget): void {
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
        this.uploads.set(record.snapshot, { state: 'failed', error });
        ctx.log.error('csi snapshot backup failed; the next CreateSnapshot call retries it', { snapshot: record.snapshot, target: target.name, err: error });
      }
    })();
    this.uploads.set(record.snapshot, { state: 'running', done });
  }
}
