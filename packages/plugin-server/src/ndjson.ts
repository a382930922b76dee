import { PassThrough, type Readable } from 'node:stream';
import type { ConvoyError, Progress, ProgressListener } from '@convoy/core';
import { NDJSON_TYPE } from './api/route-table.js';

/** Progress lines are sent at most this often; a phase change is always sent. */
const PROGRESS_INTERVAL_MS = 200;

export function wantsNdjson(accept: string | undefined): boolean {
  return accept?.includes(NDJSON_TYPE) === true;
}

/** What an operation stored, for the client's closing summary (what it read comes from progress). */
export interface OperationSummary {
  storedBytes: number;
}
export type SummaryListener = (summary: OperationSummary) => void;

/** One line of a streamed answer. */
export type NdjsonLine = { progress: Progress } | { summary: OperationSummary } | { result: unknown } | { error: ReturnType<ConvoyError['toJSON']> };

/**
 * Runs `operation` and streams its answer as NDJSON: throttled `{"progress":...}` lines, at
 * most one `{"summary":...}`, then exactly one `{"result":...}` or `{"error":...}` line. The HTTP status is already 200 when the
 * operation fails, which is why the error travels in the stream.
 */
export function streamNdjson(
  operation: (onProgress: ProgressListener, onSummary: SummaryListener) => Promise<unknown>,
  toError: (err: unknown) => ConvoyError,
): Readable {
  const out = new PassThrough();
  const send = (line: NdjsonLine) => out.write(JSON.stringify(line) + '\n');
  let lastSent = 0;
  let lastPhase: string | undefined;
  let unsent: Progress | undefined;
  const onProgress: ProgressListener = (p) => {
    const now = Date.now();
    if (p.phase === lastPhase && now - lastSent < PROGRESS_INTERVAL_MS) {
      unsent = { phase: p.phase, doneBytes: p.doneBytes, totalBytes: p.totalBytes };
      return;
    }
    lastSent = now;
    lastPhase = p.phase;
    unsent = undefined;
    send({ progress: { phase: p.phase, doneBytes: p.doneBytes, totalBytes: p.totalBytes } });
  };
  const onSummary: SummaryListener = (summary) => send({ summary });
  operation(onProgress, onSummary).then(
    (result) => {
      // The last count before the result, so a client's summary adds up to what was moved.
      if (unsent) send({ progress: unsent });
      out.end(JSON.stringify({ result: result ?? {} }) + '\n');
    },
    (err: unknown) => out.end(JSON.stringify({ error: toError(err).toJSON() }) + '\n'),
  );
  return out;
}
