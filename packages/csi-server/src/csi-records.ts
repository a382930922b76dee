import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { readJsonFile, removeFileDurably, writeJsonAtomic } from '@convoy/core';

/**
 * What CSI needs to remember beyond the Convoy volume itself: the name Kubernetes gave it, the
 * capacity it asked for (a vfs directory has no size of its own), its parameters and content
 * source, so a repeated CreateVolume can be told apart from a conflicting one.
 */
export interface VolumeRecordCsi {
  csiName: string;
  capacityBytes: number;
  parameters: Record<string, string>;
  /** `snapshot:<id>` or `volume:<id>`; '' for an empty volume. */
  contentSource: string;
}

/** A `bak` snapshot: where its backup goes. The local snapshot carries the data until then. */
export interface BackupSnapshotRecord {
  csiName: string;
  target: string;
  volume: string;
  snapshot: string;
  createdAt: string;
  /** Set once the upload finished: the backup's URL in the target store. */
  backupUrl?: string;
}

/**
 * Small JSON files under `<daemon root>/csi`, each written atomically. A volume's record is
 * written before the volume is created and removed after it is deleted, so a crash between
 * the two leaves a record without a volume (ignored and overwritten), never a CSI volume whose
 * request is forgotten.
 */
export class CsiRecords {
  private readonly volumesDir: string;
  private readonly backupsDir: string;
  /** The local backup store that carries copies (volume from a snapshot, clone). */
  readonly copyStoreDir: string;

  constructor(dir: string) {
    this.volumesDir = path.join(dir, 'volumes');
    this.backupsDir = path.join(dir, 'backups');
    this.copyStoreDir = path.join(dir, 'copy-store');
  }

  async open(): Promise<void> {
    for (const dir of [this.volumesDir, this.backupsDir, this.copyStoreDir]) await mkdir(dir, { recursive: true, mode: 0o700 });
  }

  volume(id: string): Promise<VolumeRecordCsi | undefined> {
    return readJsonFile<VolumeRecordCsi>(path.join(this.volumesDir, `${id}.json`));
  }

  putVolume(id: string, record: VolumeRecordCsi): Promise<void> {
    return writeJsonAtomic(path.join(this.volumesDir, `${id}.json`), record);
  }

  removeVolume(id: string): Promise<void> {
    return removeFileDurably(path.join(this.volumesDir, `${id}.json`));
  }

  backup(snapshot: string): Promise<BackupSnapshotRecord | undefined> {
    return readJsonFile<BackupSnapshotRecord>(path.join(this.backupsDir, `${snapshot}.json`));
  }

  /** Every `bak` snapshot's record (a restart resumes the unfinished ones). */
  async backups(): Promise<BackupSnapshotRecord[]> {
    const names = (await readdir(this.backupsDir)).filter((name) => name.endsWith('.json'));
    const records = await Promise.all(names.map((name) => readJsonFile<BackupSnapshotRecord>(path.join(this.backupsDir, name))));
    return records.filter((record): record is BackupSnapshotRecord => record !== undefined);
  }

  putBackup(record: BackupSnapshotRecord): Promise<void> {
    return writeJsonAtomic(path.join(this.backupsDir, `${record.snapshot}.json`), record);
  }

  removeBackup(snapshot: string): Promise<void> {
    return removeFileDurably(path.join(this.backupsDir, `${snapshot}.json`));
  }
}
