import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConvoyError, type ErrorCode, GarbageBudget } from '@convoy/core';
import type { Piscina } from 'piscina';
import type { BlockTask, BlockTaskResult } from '../block-worker.js';
import { type BlockFormat, type KeyedNaming, nameBlock, openBlock, sealBlock, verifyBlockName } from './block-transform.js';
import { ENGINE_GARBAGE_BUDGET } from './garbage-budget.js';

/** Where the built worker sits: beside the engine's code (dist/, or a bundle's directory). */
const BESIDE_ENGINE = new URL('./block-worker.js', import.meta.url);
/** Threads beyond the first end after this long idle. */
const IDLE_MS = 5_000;

export interface BlockWorkerOptions {
  /** The worker script (default: `block-worker.js` beside this code, or `$CONVOY_BLOCK_WORKER`). */
  script?: URL;
  /**
   * Threads (default `defaultBlockThreads()`: one fewer than the cores, from 1 to 4; none on a
   * single core). 0 runs the transform on the calling thread: with one core a worker only adds
   * a hand-off per block.
   */
  threads?: number;
}

/**
 * The block workers: a piscina pool running the per-block transform (block-transform.ts) on
 * every core. One pool per engine, started on first use; all but one thread end when idle.
 *
 * Memory: a task holds no buffer of its own beyond the codec's output. Plaintext blocks, and a
 * pack restore's stored bytes, are views of the caller's SharedArrayBuffers (shared, never
 * copied). A caller that passes `into` (a pooled shared buffer) gets the codec's output there,
 * so this thread receives no memory and makes no garbage; without it, outputs that own their
 * memory are transferred, not cloned. So a pipeline with `concurrency` blocks in flight holds at
 * most `concurrency` × (a pooled block + one output) whatever the thread count, plus the codec
 * outputs already done with and not yet collected: at most `ENGINE_GARBAGE_BUDGET` on this
 * thread (only outputs that did not go `into` a shared buffer) and `WORKER_GARBAGE_BUDGET` per
 * thread (garbage-budget.ts; without those budgets each isolate kept up to ~64 MiB of them).
 *
 * A worker that dies (a crash in a codec, an exit) fails the task with INTERNAL, naming it; the
 * pipeline then fails the operation like any other error, so nothing half-made remains.
 */
export class BlockWorkers {
  private pool: Promise<Piscina<BlockTask, BlockTaskResult>> | undefined;
  readonly threads: number;
  private readonly script: URL;
  /** Codec output this thread receives (or makes, without threads): collected by budget. */
  readonly garbage = new GarbageBudget(ENGINE_GARBAGE_BUDGET);

  constructor(opts: BlockWorkerOptions = {}) {
    this.threads = opts.threads ?? defaultBlockThreads(availableParallelism());
    if (!Number.isInteger(this.threads) || this.threads < 0 || this.threads > 64) {
      throw new ConvoyError('INVALID_ARGUMENT', `block worker threads must be an integer from 0 to 64, got ${opts.threads}`);
    }
    const fromEnv = process.env['CONVOY_BLOCK_WORKER'];
    this.script = opts.script ?? (fromEnv ? pathToFileURL(fromEnv) : BESIDE_ENGINE);
  }

  /** The block's name in the store (block-transform.ts `nameBlock`, or an encrypted volume's `keyed`). */
  async name(plain: Buffer, format: BlockFormat, keyed?: KeyedNaming): Promise<string> {
    if (keyed) return keyed(plain);
    if (this.threads === 0) return nameBlock(plain, format);
    return (await this.run({ op: 'name', plain, format }, 'name a block')) as string;
  }

  /**
   * The bytes to store for `plain` (`sealBlock`). With `into` (a shared buffer of `sealRoom`
   * bytes; it may be the one `plain` lies in, which is then overwritten), a worker's output
   * lands there: the result is then a view of `into`, valid until the caller reuses it. Without
   * threads the codec's own output is returned either way.
   */
  async seal(plain: Buffer, format: BlockFormat, into?: Buffer): Promise<Buffer> {
    if (this.threads === 0) return this.noteGarbage(await sealBlock(plain, format), plain);
    const result = await this.run({ op: 'seal', plain, format, ...(into ? { into } : {}) }, 'compress a block');
    return this.received(result, into, plain);
  }

  /**
   * The verified plaintext of a stored block (`openBlock`); `stored` is handed over (or shared,
   * when it is a view of shared memory). `into` as for `seal`.
   */
  async open(stored: Buffer, name: string, length: number, format: BlockFormat, keyed?: KeyedNaming, into?: Buffer): Promise<Buffer> {
    const plain = await this.decode(stored, keyed ? undefined : name, length, format, into);
    if (keyed) verifyBlockName(plain, name, keyed(plain));
    return plain;
  }

  private async decode(stored: Buffer, name: string | undefined, length: number, format: BlockFormat, into: Buffer | undefined): Promise<Buffer> {
    const shared = stored.buffer instanceof SharedArrayBuffer;
    if (this.threads === 0) {
      const plain = await openBlock(stored, name, length, format);
      if (!shared) this.garbage.add(stored.length);
      return this.noteGarbage(plain, stored);
    }
    const owned = !shared && stored.byteOffset === 0 && stored.byteLength === stored.buffer.byteLength;
    // A view of memory that is neither shared nor handed over is cloned to the worker: garbage here.
    if (!owned && !shared) this.garbage.add(stored.length);
    const task: BlockTask = { op: 'open', stored, ...(name === undefined ? {} : { name }), length, format, ...(into ? { into } : {}) };
    return this.received(await this.run(task, 'open a block', owned ? [stored.buffer as ArrayBuffer] : undefined), into, stored);
  }

  /** A worker's reply as a buffer: a length is what it wrote into `into`; memory it transferred is garbage once used. */
  private received(result: string | Uint8Array | number, into: Buffer | undefined, input: Buffer): Buffer {
    if (typeof result === 'number') return into!.subarray(0, result);
    return this.noteGarbage(asBuffer(result as Uint8Array), input);
  }

  /** Counts `output` against the garbage budget unless it is `input`'s memory or shared memory. */
  private noteGarbage(output: Buffer, input: Buffer): Buffer {
    if (output.buffer !== input.buffer && !(output.buffer instanceof SharedArrayBuffer)) this.garbage.add(output.length);
    return output;
  }

  /** Ends the threads (the engine's owner calls it on shutdown; idle threads end by themselves). */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await (await pool?.catch(() => undefined))?.destroy();
  }

  private async run(task: BlockTask, what: string, transferList?: ArrayBuffer[]): Promise<string | Uint8Array | number> {
    let result: BlockTaskResult;
    try {
      result = await (await this.start()).run(task, transferList ? { transferList } : {});
    } catch (err) {
      throw new ConvoyError('INTERNAL', `a block worker failed to ${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    if (typeof result === 'string' || typeof result === 'number' || result instanceof Uint8Array) return result;
    throw new ConvoyError(result.code as ErrorCode, result.message, result.details ? { details: result.details } : {});
  }

  /** The pool, started on first use (piscina itself loads then: a CLI that never backs up skips it). */
  private start(): Promise<Piscina<BlockTask, BlockTaskResult>> {
    this.pool ??= this.startPool();
    return this.pool;
  }

  private async startPool(): Promise<Piscina<BlockTask, BlockTaskResult>> {
    if (this.script.protocol === 'file:' && !existsSync(fileURLToPath(this.script))) {
      throw new ConvoyError(
        'INTERNAL',
        `the block worker ${fileURLToPath(this.script)} is missing: build @convoy/backup-store (pnpm build), or, running from TypeScript sources, point CONVOY_BLOCK_WORKER at a bundle of src/block-worker.ts`,
      );
    }
    const { Piscina } = await import('piscina');
    return new Piscina<BlockTask, BlockTaskResult>({
      filename: this.script.href,
      // At least one: with none, piscina 5.3 leaves tasks queued behind a crashed worker
      // unserved forever. An idle thread is unref'd, so it never keeps a process alive.
      minThreads: 1,
      maxThreads: this.threads,
      idleTimeout: IDLE_MS,
    });
  }
}

/**
 * One fewer thread than the cores, at most 4. Each thread is an isolate of its own (about 17 MiB
 * idle, plus its garbage budget), which is what held a backup's peak RSS above 300 MiB with one
 * per core (issue 18 item 6). Fewer lose no speed at the defaults: zstd (like gzip) runs on
 * libuv's pool rather than on these threads, so with it they only hash, and the engine's thread,
 * which only moves buffers, leaves a core to them. lz4 compresses on these threads. More than 4
 * would exceed the 2 MiB blocks a backup keeps in flight at the default concurrency.
 */
export function defaultBlockThreads(cores: number): number {
  return cores > 1 ? Math.min(4, cores - 1) : 0;
}

/**
 * Room for a block's sealed bytes: the block, plus the most any codec adds to incompressible
 * data (lz4's frame about 0.4 %, zstd and gzip less), so a worker's output always fits `into`.
 */
export function sealRoom(blockSize: number): number {
  return blockSize + Math.ceil(blockSize / 128) + 64 * 1024;
}

function asBuffer(view: Uint8Array): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}
