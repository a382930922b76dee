import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ConvoyError, isConvoyError, toConvoyError } from '../errors.js';
import type { SingleFileBackupOps } from '../driver.js';
import type { BackupSummary, ProgressListener, VolumeRecord } from '../model.js';
import { commitBackup, prepareBackup } from './backup-commit.js';
import type { EngineContext } from './context.js';
import { backupFileKey, backupFilesDir } from './layout.js';
import { backupCompression, type BackupConfig } from './records.js';
import { ArchiveDigest, ArchiveVerifier } from './single-file-digest.js';
import { compressStream, decompressStream } from './stream-codec.js';
import type { CreateBackupParams, RestoreParams } from './types.js';

/**
 * Single-file mode (directory volumes): the driver's tar of a snapshot, compressed as one object
 * `BackupFiles/<backup>.bak`, streamed both ways so memory stays flat whatever its size. Progress
 * reports archive bytes with totalBytes 0: the size of a tar is not known until it ends.
 *
 * Every stage runs under one `pipeline`: the first failure (the driver's tar, the compressor,
 * the store, the extractor, the caller's signal) destroys every other stage and is the one
 * reported; no stream is ever left without an error listener. The record keeps the stored
 * archive's length and SHA-256, and a restore checks both before the volume can appear. A
 * restore reads up to READ_AHEAD_BYTES ahead of the driver, so fetching and writing overlap.
 */
export async function createSingleFileBackup(ctx: EngineContext, p: CreateBackupParams, ops: SingleFileBackupOps): Promise<BackupSummary> {
  return prepareBackup(ctx, p, async (prepared) => {
    const key = backupFileKey(p.volume.name, prepared.backupName);
    const tar = await ops.exportSnapshot(p.volume.name, p.snapshot.name);
    const digest = new ArchiveDigest();
    const stages = [tar, new ByteCounter(progressOf(p.onProgress, 'backup')), compressStream(prepared.compression), digest];
    await runBoth(stages, p.signal, () => p.store.put(key, digest, p.signal ? { signal: p.signal } : {}));
    return commitBackup(p, prepared, {
      blocks: [],
      filePath: key,
      volumeSize: p.volume.size,
      uploadedBytes: digest.bytes,
      archive: { size: digest.bytes, sha256: digest.sha256() },
    });
  });
}

/** Archive bytes a restore fetches ahead of the driver, so a download does not wait on each write (memory: this much more). */
export const READ_AHEAD_BYTES = 8 * 1024 * 1024;

export async function restoreSingleFile(p: RestoreParams, ops: SingleFileBackupOps, backup: BackupConfig): Promise<VolumeRecord> {
  const key = archiveKeyOf(backup);
  const source = await p.store.getStream(key);
  if (!source) {
    throw new ConvoyError('NOT_FOUND', `the archive ${key} of backup ${backup.Name} (volume ${p.volumeName}) is missing from ${p.store.url}`, {
      details: { key, backup: backup.Name },
    });
  }
  const counter = new ByteCounter(progressOf(p.onProgress, 'restore'));
  // The read-ahead lets the download run on while the driver writes (extracts, fsyncs).
  const readAhead = new PassThrough({ readableHighWaterMark: READ_AHEAD_BYTES, writableHighWaterMark: 64 * 1024 });
  const stages = [source, readAhead, new ArchiveVerifier(backup, key), decompressStream(backupCompression(backup)), counter];
  try {
    return await runBoth(stages, p.signal, () => ops.importVolume(p.request, counter));
  } catch (err) {
    throw namingBackup(err, key, backup);
  }
}

/**
 * Runs `stages` as one pipeline while `consume` reads its last stage, and settles when both
 * have: a consumer that fails destroys the pipeline (so no stage waits forever for a reader),
 * and a stage that fails destroys what the consumer reads. The error reported is the cause, not
 * its echo: a stage's own failure first, else the consumer's, else the pipeline's abort.
 */
async function runBoth<T>(stages: Array<Readable | Transform>, signal: AbortSignal | undefined, consume: () => Promise<T>): Promise<T> {
  const last = stages.at(-1) as Transform;
  // The consumer may destroy the last stage after the pipeline has settled (a for-await loop
  // that throws does): that late error is already reported, and must not become uncaught.
  last.on('error', () => undefined);
  const moving = pipeline(stages, signal ? { signal } : {});
  const consuming = consume().catch((err: unknown) => {
    last.destroy(toConvoyError(err));
    throw err;
  });
  const [moved, consumed] = await Promise.allSettled([moving, consuming]);
  if (moved.status === 'rejected' && !(consumed.status === 'rejected' && isEcho(moved.reason, signal))) throw classify(moved.reason as Error);
  if (consumed.status === 'rejected') throw consumed.reason;
  return consumed.value;
}

/** How a pipeline reports that one of its streams was closed or destroyed by someone else. */
function isEcho(err: unknown, signal: AbortSignal | undefined): boolean {
  const e = err as NodeJS.ErrnoException;
  return e?.code === 'ERR_STREAM_PREMATURE_CLOSE' || (e?.name === 'AbortError' && !signal?.aborted);
}

function namingBackup(err: unknown, key: string, backup: BackupConfig): unknown {
  if (!(err instanceof Error) || err.message.includes(backup.Name)) return err;
  const code = isConvoyError(err) ? err.code : 'STORE_ERROR';
  if (code !== 'CORRUPT' && code !== 'STORE_ERROR') return err;
  return new ConvoyError(code, `the archive ${key} of backup ${backup.Name} cannot be read: ${err.message}`, { cause: err, details: { key, backup: backup.Name } });
}

/**
 * The archive's key as the record names it. Convoy v0.5 wrote `BackupFiles/<backup>.bak`, older
 * versions the local file's name; either way it must sit in this volume's `BackupFiles/`, so a
 * tampered record cannot point a restore or a delete anywhere else.
 */
export function archiveKeyOf(backup: BackupConfig): string {
  const key = backup.SingleFile.FilePath;
  const dir = backupFilesDir(backup.VolumeName);
  const file = key.startsWith(dir) ? key.slice(dir.length) : '';
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(file)) {
    throw new ConvoyError('CORRUPT', `backup ${backup.Name} names its archive ${JSON.stringify(key)}, which is not a file in ${dir}`);
  }
  return key;
}

function classify(err: Error): Error {
  if (isConvoyError(err)) return err;
  const code = (err as NodeJS.ErrnoException).code ?? '';
  // zlib's codes start with Z_; anything else comes from the source (driver or store).
  if (code.startsWith('Z_')) return new ConvoyError('CORRUPT', `compressed archive is corrupt: ${err.message}`, { cause: err });
  return err;
}

function progressOf(listener: ProgressListener | undefined, phase: string): ((bytes: number) => void) | undefined {
  return listener && ((doneBytes) => listener({ phase, doneBytes, totalBytes: 0 }));
}

class ByteCounter extends Transform {
  bytes = 0;

  constructor(private readonly onBytes?: (total: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    this.onBytes?.(this.bytes);
    done(null, chunk);
  }
}
