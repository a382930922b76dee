import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { ConvoyError } from '@convoy/core';
import type { BackupConfig } from './records.js';

/**
 * The stored archive's length and SHA-256, measured on its way to the store: the record keeps
 * both so a restore can prove it read back exactly what was written.
 */
export class ArchiveDigest extends Transform {
  bytes = 0;
  private readonly hash: Hash = createHash('sha256');

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    done(null, chunk);
  }

  /** Only once the stream has ended. */
  sha256(): string {
    return this.hash.digest('hex');
  }
}

/**
 * Checks the archive read from the store against its record as it passes: more bytes than
 * recorded fail at once; fewer, or other bytes, fail when the archive ends. Failing in `_flush`
 * means the consumer never sees the end of the stream, so an extraction can never complete (and
 * the volume never appear) from an archive that does not check out. Records written before the
 * checksum existed pass through unchecked.
 */
export class ArchiveVerifier extends Transform {
  private bytes = 0;
  private readonly hash: Hash | undefined;

  constructor(
    private readonly backup: BackupConfig,
    private readonly key: string,
  ) {
    super();
    this.hash = backup.ArchiveSHA256 === undefined ? undefined : createHash('sha256');
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    const expected = this.backup.ArchiveSize;
    if (expected !== undefined && this.bytes > expected) {
      done(this.mismatch(`is longer than the ${expected} bytes recorded (trailing bytes)`));
      return;
    }
    this.hash?.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    const { ArchiveSize: size, ArchiveSHA256: sha256 } = this.backup;
    if (size !== undefined && this.bytes < size) {
      done(this.mismatch(`is truncated: ${this.bytes} of the ${size} bytes recorded`));
      return;
    }
    const actual = this.hash?.digest('hex');
    if (actual !== sha256) {
      done(this.mismatch(`does not match its recorded checksum (SHA-256 ${actual}, recorded ${sha256})`));
      return;
    }
    done();
  }

  private mismatch(problem: string): ConvoyError {
    return new ConvoyError('CORRUPT', `the archive ${this.key} of backup ${this.backup.Name} ${problem}`, {
      details: { key: this.key, backup: this.backup.Name },
    });
  }
}
