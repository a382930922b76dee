import { PassThrough, type Readable, Transform, type TransformCallback, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BackupSummary, ObjectStore, ProgressListener, SingleFileBackupOps, VolumeRecord } from '@convoy/core';
import { ConvoyError, cancelledError, isConvoyError, TarEndCheck, toConvoyError } from '@convoy/core';
import { archiveKeyOf } from './archive-key.js';
import { commitBackup, prepareBackup } from './backup-commit.js';
import type { EngineContext } from './context.js';
import { backupFileKey } from './layout.js';
import { type BackupConfig, backupCompression } from './records.js';
import { ArchiveDigest, ArchiveVerifier } from './single-file-digest.js';
import { compressStream, decompressStream } from './stream-codec.js';
import type { CreateBackupParams, RestoreParams } from './types.js';

/**
 * Single-file mode (directory volumes): the driver's tar of a snapshot, compressed as one object
 * `BackupFiles/<backup>.bak`, streamed both ways so memory stays flat whatever its size. Progress
 * counts tar bytes against the driver's estimate on backup, and stored bytes against the
 * record's archive size on restore (0, unknown, for records without one).
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
    const total = p.onProgress && ops.estimateExportSize ? await ops.estimateExportSize(p.volume.name, p.snapshot.name) : 0;
    const tar = await ops.exportSnapshot(p.volume.name, p.snapshot.name);
    const digest = new ArchiveDigest();
    const stages = [tar, new ByteCounter(progressOf(p.onProgress, 'backup', total)), compressStream(prepared.compression), digest];
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
  // Progress counts the stored archive's bytes, whose size the record holds (Convoy's records do not).
  const counter = new ByteCounter(progressOf(p.onProgress, 'restore', backup.ArchiveSize ?? 0));
  // The read-ahead lets the download run on while the driver writes (extracts, fsyncs).
  const stages = await checkedArchiveStages(p.store, backup, { counter, readAheadBytes: READ_AHEAD_BYTES, signal: p.signal });
  const tar = stages.at(-1) as Transform;
  try {
    return await runBoth(stages, p.signal, () => ops.importVolume(p.request, tar));
  } catch (err) {
    throw namingBackup(err, key, backup);
  }
}

/**
 * Reads a backup's archive to its end through every check a restore makes, and throws what a
 * restore would (CORRUPT, NOT_FOUND, the store's error): `verify --deep` runs exactly this. The
 * restore's extractor (extractTarSafely) also requires the tar's end-of-archive marker; its
 * TarEndCheck runs here in its place.
 */
export async function checkArchive(store: ObjectStore, backup: BackupConfig, signal?: AbortSignal): Promise<void> {
  const discard = new Writable({ write: (_chunk, _enc, done) => done() });
  try {
    await pipeline([...(await checkedArchiveStages(store, backup, { signal })), new TarEndCheck(), discard], signal ? { signal } : {});
  } catch (err) {
    // Cancelled: the signal's reason, as a restore reports it, not the pipeline's AbortError as a store failure.
    if (signal?.aborted) throw cancelledError(signal, 'the operation');
    throw namingBackup(classify(err as Error), archiveKeyOf(backup), backup);
  }
}

/**
 * The one way an archive is read back: its stored bytes, fetched up to `readAheadBytes` ahead of
 * the reader when given (a restore's download then overlaps the driver's writes), checked against
 * the record's length and SHA-256 as they pass (`counter`, when given, sees them next), then
 * decompressed (which checks lz4 frame checksums and gzip's CRC). Restore extracts what comes
 * out; verify discards it. `signal` cancels the download (the GET and the body).
 */
async function checkedArchiveStages(
  store: ObjectStore,
  backup: BackupConfig,
  opts: { counter?: Transform; readAheadBytes?: number; signal?: AbortSignal | undefined } = {},
): Promise<[Readable, ...Transform[]]> {
  const key = archiveKeyOf(backup);
  const source = await store.getStream(key, { signal: opts.signal });
  if (!source) {
    throw new ConvoyError('NOT_FOUND', `the archive ${key} of backup ${backup.Name} (volume ${backup.VolumeName}) is missing from ${store.url}`, {
      details: { key, backup: backup.Name },
    });
  }
  const readAhead = opts.readAheadBytes ? [new PassThrough({ readableHighWaterMark: opts.readAheadBytes, writableHighWaterMark: 64 * 1024 })] : [];
  const counter = opts.counter ? [opts.counter] : [];
  return [source, ...readAhead, new ArchiveVerifier(backup, key), ...counter, decompressStream(backupCompression(backup))];
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
  // Cancelled (the daemon stopping, the client gone): the signal's reason, not a stage's echo of it.
  if (signal?.aborted && (moved.status === 'rejected' || consumed.status === 'rejected')) throw cancelledError(signal, 'the operation');
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
  return new ConvoyError(code, `the archive ${key} of backup ${backup.Name} cannot be read: ${err.message}`, {
    cause: err,
    details: { key, backup: backup.Name },
  });
}

function classify(err: Error): Error {
  if (isConvoyError(err)) return err;
  const code = (err as NodeJS.ErrnoException).code ?? '';
  // zlib's codes start with Z_; anything else comes from the source (driver or store).
  if (code.startsWith('Z_')) return new ConvoyError('CORRUPT', `compressed archive is corrupt: ${err.message}`, { cause: err });
  return err;
}

function progressOf(listener: ProgressListener | undefined, phase: string, totalBytes: number): ((bytes: number) => void) | undefined {
  return listener && ((doneBytes) => listener({ phase, doneBytes, totalBytes: Math.max(totalBytes, doneBytes) }));
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
