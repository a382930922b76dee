import { addAbortSignal, pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import { ConvoyError, isConvoyError } from '../errors.js';
import type { SingleFileBackupOps } from '../driver.js';
import type { BackupSummary, ProgressListener, VolumeRecord } from '../model.js';
import { commitBackup, prepareBackup } from './backup-commit.js';
import type { EngineContext } from './context.js';
import { backupFileKey, backupFilesDir } from './layout.js';
import { backupCompression, type BackupConfig } from './records.js';
import { compressStream, decompressStream } from './stream-codec.js';
import type { CreateBackupParams, RestoreParams } from './types.js';

/**
 * Single-file mode (directory volumes): the driver's tar of a snapshot, compressed as one object
 * `BackupFiles/<backup>.bak`, streamed both ways so memory stays flat whatever its size. Progress
 * reports archive bytes with totalBytes 0: the size of a tar is not known until it ends.
 */
export async function createSingleFileBackup(ctx: EngineContext, p: CreateBackupParams, ops: SingleFileBackupOps): Promise<BackupSummary> {
  return prepareBackup(ctx, p, async (prepared) => {
    const key = backupFileKey(p.volume.name, prepared.backupName);
    const tar = await ops.exportSnapshot(p.volume.name, p.snapshot.name);
    const written = new ByteCounter();
    const { stream, failure } = chain(tar, [new ByteCounter(progressOf(p.onProgress, 'backup')), compressStream(prepared.compression), written], p.signal);
    try {
      await p.store.put(key, stream);
    } catch (err) {
      throw failure() ?? err;
    }
    const failed = failure();
    if (failed) throw failed;
    return commitBackup(p, prepared, { blocks: [], filePath: key, volumeSize: p.volume.size, uploadedBytes: written.bytes });
  });
}

export async function restoreSingleFile(p: RestoreParams, ops: SingleFileBackupOps, backup: BackupConfig): Promise<VolumeRecord> {
  const key = archiveKeyOf(backup);
  const source = await p.store.getStream(key);
  if (!source) {
    throw new ConvoyError('NOT_FOUND', `the archive ${key} of backup ${backup.Name} (volume ${p.volumeName}) is missing from ${p.store.url}`, {
      details: { key, backup: backup.Name },
    });
  }
  const { stream, failure } = chain(source, [decompressStream(backupCompression(backup)), new ByteCounter(progressOf(p.onProgress, 'restore'))], p.signal);
  try {
    return await ops.importVolume(p.request, stream);
  } catch (err) {
    const cause = failure();
    if (!cause) throw err;
    const code = isConvoyError(cause) ? cause.code : 'STORE_ERROR';
    throw new ConvoyError(code, `the archive ${key} of backup ${backup.Name} cannot be read: ${cause.message}`, { cause, details: { key, backup: backup.Name } });
  }
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

/**
 * Pipes `source` through `stages` and returns the last stage; a failure anywhere destroys the
 * chain (so the consumer fails too) and is kept, because it says more than the consumer's
 * "premature close".
 */
function chain(source: Readable, stages: Transform[], signal: AbortSignal | undefined): { stream: Readable; failure: () => Error | undefined } {
  let error: Error | undefined;
  if (signal) addAbortSignal(signal, source);
  // pipeline() returns its last stream; its typings only say "a stream".
  const stream = pipeline([source, ...stages], (err) => {
    if (err) error = classify(err);
  }) as unknown as Readable;
  return { stream, failure: () => error };
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
