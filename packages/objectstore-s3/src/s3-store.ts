import http from 'node:http';
import https from 'node:https';
import { finished, type Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  ConvoyError,
  collectGarbage,
  failOnCancel,
  GarbageBudget,
  type ObjectInfo,
  type ObjectStore,
  type ObjectStoreStats,
  type StoreCallOptions,
  throwIfCancelled,
  validateKeyPrefix,
  validateObjectKey,
  validateRange,
  withoutNotice,
} from '@convoy/core';
import { readRangeInto } from './read-range-into.js';
import { backoff, isNetworkError, resumableBody } from './resumable-body.js';
import { isMissingObject, isUnsatisfiableRange, storeError } from './s3-errors.js';
import type { S3Settings } from './s3-options.js';
import type { S3Location } from './s3-url.js';
import { SlicedBodyHttpHandler } from './sliced-body-handler.js';

export interface S3ObjectStoreStats extends ObjectStoreStats {
  /** Requests the SDK repeated after throttling, 5xx, resets or timeouts. */
  retries: number;
  /** Parts sent by multipart uploads. */
  parts: number;
}

/**
 * A buffer up to this size goes up in ONE PutObject, whatever the part size: it is in memory
 * already, so parts would only add requests (a pack of 16 MiB would cost four). Streams and
 * larger buffers go multipart.
 */
const SINGLE_PUT_BYTES = 32 * 1024 * 1024;

/**
 * A response's chunks, once copied out, are collected by a scavenge after this many bytes of
 * them (they die young; see read-range-into.ts). Measured on a 1 GiB restore over TLS: 4 MiB
 * left a peak RSS of 176-178 MiB, 1 MiB 162-166 MiB (1024 scavenges per GiB read).
 */
const RESPONSE_GARBAGE_BUDGET = 1024 * 1024;

/** S3's limit on keys per DeleteObjects request. */
const DELETE_BATCH = 1000;

/**
 * A backup store in an S3 bucket (or MinIO, s3rver, any S3-compatible server through
 * `endpoint`, path-style). Credentials come from the SDK's default chain. Every listing pages
 * with ContinuationToken; deletes go in DeleteObjects batches of at most 1000 exact keys; the
 * SDK retries throttling, 5xx, resets and timeouts with exponential backoff and full jitter up
 * to `maxAttempts`; a body cut off mid-download is fetched again the same way. Objects larger
 * than one part and SINGLE_PUT_BYTES (and every stream) go through lib-storage's multipart Upload.
 */
export class S3ObjectStore implements ObjectStore {
  readonly stats: S3ObjectStoreStats = { get: 0, put: 0, head: 0, list: 0, delete: 0, retries: 0, parts: 0 };
  readonly url: string;
  private readonly client: S3Client;
  private readonly responseGarbage = new GarbageBudget(RESPONSE_GARBAGE_BUDGET, () => collectGarbage('minor'));

  constructor(
    private readonly location: S3Location,
    private readonly settings: S3Settings,
    private readonly endpoint: string | undefined,
  ) {
    this.url = location.url;
    const agentOptions = { keepAlive: true, maxSockets: settings.maxSockets };
    const checksums = settings.plainPayload ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
    // The SDK's notice that its releases after January 2027 need Node 22 concerns the SDK versions
    // Convoy's lockfile picks, not a user, who cannot act on it (sdk-notices.test.ts).
    this.client = withoutNotice(
      'NodeVersionSupportWarning',
      () =>
        new S3Client({
          region: location.region ?? settings.region ?? (endpoint && !process.env.AWS_REGION && !process.env.AWS_DEFAULT_REGION ? 'us-east-1' : undefined),
          ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
          maxAttempts: settings.maxAttempts,
          retryMode: 'standard',
          requestChecksumCalculation: checksums,
          responseChecksumValidation: checksums,
          requestHandler: new SlicedBodyHttpHandler({
            httpAgent: new http.Agent(agentOptions),
            httpsAgent: new https.Agent(agentOptions),
            // Inactivity on the socket, for the whole exchange (request body, wait, response body):
            // a server that accepts and never answers, or goes silent mid-transfer, fails the
            // request (retried by the SDK) instead of hanging it. Not a total deadline: a large part
            // on a slow link is fine as long as bytes move.
            socketTimeout: settings.requestTimeoutMs,
            connectionTimeout: Math.min(settings.requestTimeoutMs, 10_000),
          }),
        }),
    );
  }

  /** Fails with NOT_FOUND when the bucket does not exist, STORE_ERROR when access is refused. */
  async checkBucket(): Promise<void> {
    try {
      await this.send(`opening ${this.url}`, undefined, () => this.client.send(new HeadBucketCommand({ Bucket: this.location.bucket })));
    } catch (err) {
      const status = ((err as ConvoyError).cause as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
      if (status === 404)
        throw new ConvoyError('NOT_FOUND', `S3 bucket ${this.location.bucket} does not exist${this.endpoint ? ` at ${this.endpoint}` : ''}`, { cause: err });
      throw err;
    }
  }

  async get(key: string, opts: StoreCallOptions = {}): Promise<Buffer | undefined> {
    const Key = this.keyOf(key);
    this.stats.get += 1;
    const { signal } = opts;
    const what = `reading ${key}`;
    for (let attempt = 1; ; attempt += 1) {
      const response = await this.sendOrMissing(what, signal, (sent) => this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key }), sent));
      if (!response?.Body) return undefined;
      try {
        // A signal that fires while the body comes destroys it (the request may be over by then).
        const bytes = await failOnCancel(response.Body as Readable & typeof response.Body, signal, what).transformToByteArray();
        return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      } catch (err) {
        // The SDK retries requests, not bodies cut off halfway: fetch the object again.
        if (attempt >= this.settings.maxAttempts || !isNetworkError(err) || signal?.aborted) throw this.fail(err, what, signal);
        this.stats.retries += 1;
        await backoff(attempt, signal).catch((cut: unknown) => {
          throw this.fail(cut, what, signal);
        });
      }
    }
  }

  async getStream(key: string, opts: StoreCallOptions = {}): Promise<Readable | undefined> {
    const Key = this.keyOf(key);
    this.stats.get += 1;
    const what = `reading ${key}`;
    const response = await this.sendOrMissing(what, opts.signal, (sent) => this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key }), sent));
    if (!response?.Body) return undefined;
    return this.resumable(Key, what, response, (from) => `bytes=${from}-`, opts.signal);
  }

  /** A response's body that resumes where it was cut, with `rangeFrom(bytes received)`, until `signal` fires. */
  private resumable(
    Key: string,
    what: string,
    response: GetObjectCommandOutput,
    rangeFrom: (received: number) => string,
    signal: AbortSignal | undefined,
  ): Readable {
    const { ETag } = response;
    return resumableBody(response.Body as Readable, {
      length: response.ContentLength,
      maxAttempts: this.settings.maxAttempts,
      signal,
      onRetry: () => (this.stats.retries += 1),
      fail: (err) => this.fail(err, what, signal),
      fetchFrom: async (from) => {
        this.stats.get += 1;
        // If-Match: the rest must come from the object whose start we already have.
        const rest = await this.send(what, signal, (sent) =>
          this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key, Range: rangeFrom(from), ...(ETag ? { IfMatch: ETag } : {}) }), sent),
        );
        return rest.Body as Readable;
      },
    });
  }

  /**
   * One ranged GET; a body cut or stalled halfway resumes from where it stopped (as getStream
   * does), pinned to the same object version. A range past the object's end is empty.
   */
  async getRange(key: string, offset: number, length: number, into?: Buffer, opts: StoreCallOptions = {}): Promise<Buffer | undefined> {
    validateRange(offset, length, into);
    const Key = this.keyOf(key);
    this.stats.get += 1;
    const { signal } = opts;
    const what = `reading ${length} bytes at ${offset} of ${key}`;
    const rangeFrom = (from: number) => `bytes=${from}-${offset + length - 1}`;
    let response;
    try {
      response = await this.sendOrMissing(what, signal, (sent) =>
        this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key, Range: rangeFrom(offset) }), sent),
      );
    } catch (err) {
      if (isUnsatisfiableRange((err as ConvoyError).cause)) return Buffer.alloc(0);
      throw err;
    }
    if (!response?.Body) return undefined;
    // Cancelled while the body comes: the body is destroyed and the read into `into` stops.
    const body = this.resumable(Key, what, response, (from) => rangeFrom(offset + from), signal);
    // A server may answer with more than the range (s3rver sends the whole object for bytes=0-0): cut
    // ours out, counting from where its Content-Range says the body starts (0 without one).
    const start = Number(/^bytes (\d+)-/.exec(response.ContentRange ?? '')?.[1] ?? 0);
    if (into) return readRangeInto(body, offset - start, length, into, this.responseGarbage);
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    return bytes.length > length || start !== offset ? bytes.subarray(offset - start, offset - start + length) : bytes;
  }

  async put(key: string, body: Buffer | Readable, opts: StoreCallOptions = {}): Promise<void> {
    const Key = this.keyOf(key);
    this.stats.put += 1;
    const { signal } = opts;
    throwIfCancelled(signal, `writing ${key}`);
    if (Buffer.isBuffer(body) && body.length <= Math.max(this.settings.partSize, SINGLE_PUT_BYTES)) {
      await this.send(`writing ${key}`, signal, (sent) =>
        this.client.send(new PutObjectCommand({ Bucket: this.location.bucket, Key, Body: body, ContentLength: body.length }), sent),
      );
      return;
    }
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.location.bucket, Key, Body: body },
      partSize: this.settings.partSize,
      queueSize: this.settings.partConcurrency,
      // Removed by us (abortUpload): lib-storage's own clean-up throws its failure instead of
      // the parts' error, and a server refusing AbortMultipartUpload hid every real cause.
      leavePartsOnError: true,
    });
    // A body that fails (its pipeline was cancelled or broke) ends the upload at once: parts in
    // flight are aborted rather than left to run into their timeouts.
    const stopUpload = (err?: Error | null): void => {
      if (err) void upload.abort().catch(() => undefined);
    };
    if (!Buffer.isBuffer(body)) finished(body, stopUpload);
    // Cancelling stops it too, even once the whole body is read and only the last request runs.
    const onAbort = (): void => stopUpload(new Error('cancelled'));
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    let parts = 0;
    upload.on('httpUploadProgress', (progress) => {
      parts = Math.max(parts, progress.part ?? 0);
    });
    try {
      await upload.done();
    } catch (err) {
      throw await this.abortUpload(this.fail(err, `uploading ${key}`, signal), Key, upload.uploadId);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.stats.parts += parts;
    }
  }

  async head(key: string, opts: StoreCallOptions = {}): Promise<ObjectInfo | undefined> {
    const Key = this.keyOf(key);
    this.stats.head += 1;
    const response = await this.sendOrMissing(`checking ${key}`, opts.signal, (sent) =>
      this.client.send(new HeadObjectCommand({ Bucket: this.location.bucket, Key }), sent),
    );
    if (!response) return undefined;
    return { key, size: response.ContentLength ?? 0, mtime: response.LastModified ?? new Date(0) };
  }

  async *list(prefix: string, opts: StoreCallOptions = {}): AsyncIterable<ObjectInfo> {
    for await (const page of this.pages(prefix, undefined, opts.signal)) {
      for (const object of page.Contents ?? []) {
        // The caller may cancel while it handles an item: the listing stops at the next one.
        throwIfCancelled(opts.signal, `listing ${prefix || '/'}`);
        if (!object.Key) continue;
        yield { key: this.relative(object.Key), size: object.Size ?? 0, mtime: object.LastModified ?? new Date(0) };
      }
    }
  }

  async listDir(prefix: string, opts: StoreCallOptions = {}): Promise<{ files: string[]; dirs: string[] }> {
    if (prefix !== '' && !prefix.endsWith('/'))
      throw new ConvoyError('INVALID_ARGUMENT', `listDir needs a directory prefix ending with /, got ${JSON.stringify(prefix)}`);
    const files = new Set<string>();
    const dirs = new Set<string>();
    const full = this.prefixOf(prefix);
    // Some servers repeat a common prefix across pages: the sets keep each name once.
    for await (const page of this.pages(prefix, '/', opts.signal)) {
      for (const object of page.Contents ?? []) if (object.Key && object.Key !== full) files.add(object.Key.slice(full.length));
      for (const common of page.CommonPrefixes ?? []) if (common.Prefix) dirs.add(common.Prefix.slice(full.length).replace(/\/$/, ''));
    }
    return { files: [...files], dirs: [...dirs] };
  }

  async delete(keys: string[], opts: StoreCallOptions = {}): Promise<void> {
    const objects = keys.map((key) => ({ Key: this.keyOf(key) }));
    throwIfCancelled(opts.signal, `deleting ${keys.length} objects`);
    for (let at = 0; at < objects.length; at += DELETE_BATCH) {
      this.stats.delete += 1;
      const batch = objects.slice(at, at + DELETE_BATCH);
      const response = await this.send(`deleting ${batch.length} objects`, opts.signal, (sent) =>
        this.client.send(new DeleteObjectsCommand({ Bucket: this.location.bucket, Delete: { Objects: batch, Quiet: true } }), sent),
      );
      const failed = response.Errors ?? [];
      if (failed.length > 0) {
        const first = failed[0]!;
        throw new ConvoyError(
          'STORE_ERROR',
          `S3 could not delete ${failed.length} of ${batch.length} objects in bucket ${this.location.bucket}, e.g. ${first.Key}: ${first.Code} ${first.Message ?? ''}`,
          {
            details: { keys: failed.map((f) => f.Key) },
          },
        );
      }
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private async *pages(prefix: string, delimiter: string | undefined, signal: AbortSignal | undefined): AsyncIterable<ListObjectsV2CommandOutput> {
    let token: string | undefined;
    do {
      this.stats.list += 1;
      const page = await this.send(`listing ${prefix || '/'}`, signal, (sent) =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.location.bucket,
            Prefix: this.prefixOf(prefix),
            Delimiter: delimiter,
            MaxKeys: this.settings.pageSize,
            ContinuationToken: token,
          }),
          sent,
        ),
      );
      yield page;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  private keyOf(key: string): string {
    return this.full(validateObjectKey(key));
  }

  private prefixOf(prefix: string): string {
    return this.full(validateKeyPrefix(prefix));
  }

  private full(key: string): string {
    return this.location.prefix ? `${this.location.prefix}/${key}` : key;
  }

  private relative(fullKey: string): string {
    return this.location.prefix ? fullKey.slice(this.location.prefix.length + 1) : fullKey;
  }

  /**
   * One SDK request: `request` gets the options to send it with (the abort signal, which
   * cancels it in flight and stops the SDK's retries), and its failure becomes a ConvoyError.
   */
  private async send<Output extends { $metadata: { attempts?: number } }>(
    what: string,
    signal: AbortSignal | undefined,
    request: (sent: { abortSignal?: AbortSignal }) => Promise<Output>,
  ): Promise<Output> {
    throwIfCancelled(signal, what);
    try {
      const output = await request(signal ? { abortSignal: signal } : {});
      this.stats.retries += Math.max(0, (output.$metadata.attempts ?? 1) - 1);
      return output;
    } catch (err) {
      this.stats.retries += Math.max(0, ((err as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1) - 1);
      throw this.fail(err, what, signal);
    }
  }

  /** Like send, but a missing object is undefined instead of an error. */
  private async sendOrMissing<Output extends { $metadata: { attempts?: number } }>(
    what: string,
    signal: AbortSignal | undefined,
    request: (sent: { abortSignal?: AbortSignal }) => Promise<Output>,
  ): Promise<Output | undefined> {
    try {
      return await this.send(what, signal, request);
    } catch (err) {
      if (isMissingObject((err as ConvoyError).cause)) return undefined;
      throw err;
    }
  }

  /**
   * Removes the parts of a failed multipart upload and returns `failure`, the upload's own
   * error, as the one reported: a clean-up that fails too (some servers refuse it) is logged
   * in `details.cleanup`, never the headline.
   */
  private async abortUpload(failure: ConvoyError, fullKey: string, uploadId: string | undefined): Promise<ConvoyError> {
    if (!uploadId) return failure;
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.location.bucket, Key: fullKey, UploadId: uploadId }));
      return failure;
    } catch (cleanupErr) {
      const cleanup = this.fail(cleanupErr, `removing the parts of upload ${uploadId}`).message;
      return new ConvoyError(failure.code, failure.message, { cause: failure.cause, details: { ...failure.details, cleanup } });
    }
  }

  /** `err` as a ConvoyError; the cancellation when `signal` has fired, whatever failed with it. */
  private fail(err: unknown, what: string, signal?: AbortSignal): ConvoyError {
    return err instanceof ConvoyError && !signal?.aborted ? err : storeError(err, what, { bucket: this.location.bucket, endpoint: this.endpoint }, signal);
  }
}
