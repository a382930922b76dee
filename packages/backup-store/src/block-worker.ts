/**
 * The block worker: a piscina worker thread that runs the per-block transform
 * (backup/block-transform.ts) for the engine, so SHA-512 and the codecs use every core while
 * the engine's thread moves bytes. It lives at the package root so the build puts it beside the
 * engine's code (dist/block-worker.js); see backup/block-workers.ts.
 *
 * Plaintext (and a pack restore's stored bytes) arrives as a view of a pooled SharedArrayBuffer
 * (shared, not copied). A codec's output is copied once: into the caller's shared `into` buffer
 * when the task brings one and the output fits (the reply is then its length, and the engine's
 * thread receives no memory at all, so it has no garbage to collect), else into memory V8
 * allocates, which is transferred back. The native codecs' own buffers never leave this thread,
 * and die young here, where a scavenge every block frees them (garbage-budget.ts); transferred,
 * they lingered on both threads until a full collection. Errors come back as data, so their
 * code survives.
 */

import { collectGarbage, GarbageBudget, isConvoyError } from '@convoy/core';
import { move } from 'piscina';
import { type BlockFormat, nameBlock, openBlock, sealBlock } from './backup/block-transform.js';
import { WORKER_GARBAGE_BUDGET } from './backup/garbage-budget.js';

export type BlockTask =
  | { op: 'name'; plain: Uint8Array; format: BlockFormat }
  | { op: 'seal'; plain: Uint8Array; format: BlockFormat; into?: Uint8Array }
  | { op: 'open'; stored: Uint8Array; name?: string; length: number; format: BlockFormat; into?: Uint8Array };

/** A name, the bytes, how many bytes went into the task's `into`, or why not. */
export type BlockTaskResult = string | Uint8Array | number | BlockTaskFailure;

export interface BlockTaskFailure {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** This thread's codec garbage: what it received to open and what the codecs made. */
const garbage = new GarbageBudget(WORKER_GARBAGE_BUDGET, () => collectGarbage('minor'));
/** After a collection, one event-loop turn, so the native codecs' finalizers free their output. */
async function noteGarbage(bytes: number): Promise<void> {
  if (garbage.add(bytes)) await new Promise((resolve) => setImmediate(resolve));
}

export default async function runBlockTask(task: BlockTask): Promise<unknown> {
  try {
    switch (task.op) {
      case 'name':
        return nameBlock(asBuffer(task.plain), task.format);
      case 'seal': {
        const sealed = await sealBlock(asBuffer(task.plain), task.format);
        await noteGarbage(sealed.length);
        return reply(sealed, task.plain, task.into);
      }
      case 'open': {
        const plain = await openBlock(asBuffer(task.stored), task.name, task.length, task.format);
        await noteGarbage(task.stored.byteLength + plain.length);
        return reply(plain, task.stored, task.into);
      }
    }
  } catch (err) {
    const failure: BlockTaskFailure = isConvoyError(err)
      ? { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) }
      : { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
    return failure;
  }
}

function asBuffer(view: Uint8Array): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

/**
 * A view of shared memory is shared as it is; output that fits the task's `into` is copied
 * there and its length returned; else the task's own input (`none` opens to it) goes back by
 * transfer, and a codec's output is copied into memory V8 owns, and the copy transferred.
 */
function reply(bytes: Buffer, input: Uint8Array, into: Uint8Array | undefined): unknown {
  if (bytes.buffer instanceof SharedArrayBuffer) return bytes;
  if (into && bytes.length <= into.length) {
    into.set(bytes);
    return bytes.length;
  }
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  if (bytes.buffer === input.buffer && whole) return move(bytes);
  return move(new Uint8Array(bytes));
}
