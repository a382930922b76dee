import { type Extent, isConvoyError } from '@convoy/core';
import type { SnapshotBlocks } from '@convoy/volume-service';
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { CsiContext } from './context.js';
import { parseSnapshotId, requireField } from './ids.js';
import { type Int64, int64Field } from './int64.js';
import { invalidArgument, notFound, outOfRange, toServiceError, unimplemented } from './status.js';

/** Tuples per response message when the caller leaves max_results at 0. */
const DEFAULT_TUPLES_PER_MESSAGE = 1024;

/**
 * SnapshotMetadata: the allocated blocks of a snapshot, or the blocks changed between two
 * snapshots of a volume, streamed as merged byte ranges (VARIABLE_LENGTH) straight from the
 * driver's changed-block facet (devicemapper: thin_delta on a held metadata snapshot). A driver
 * without that facet answers UNIMPLEMENTED.
 */
export function snapshotMetadataHandlers(ctx: CsiContext) {
  /** The local Convoy snapshot an id names (a `bak` snapshot's local copy included). */
  function localSnapshot(field: string, value: string): string {
    const id = parseSnapshotId(requireField(value, field));
    if (!id) throw notFound(`${field} ${JSON.stringify(value)} does not exist`);
    return id.snapshot;
  }

  async function blocks(snapshot: string, base?: string): Promise<SnapshotBlocks> {
    try {
      return await ctx.service.snapshotBlocks(snapshot, base);
    } catch (err) {
      if (isConvoyError(err, 'NOT_SUPPORTED')) throw unimplemented(`changed-block metadata: ${err.message}`);
      throw err;
    }
  }

  function stream(name: string, produce: (request: never) => Promise<{ found: SnapshotBlocks; startingOffset: number; maxResults: number }>) {
    return (call: ServerWritableStream<unknown, unknown>): void => {
      produce(call.request as never).then(
        ({ found, startingOffset, maxResults }) => {
          const extents = fromOffset(found.extents, startingOffset, found.blockSize);
          const perMessage = maxResults > 0 ? maxResults : DEFAULT_TUPLES_PER_MESSAGE;
          for (let i = 0; i < extents.length; i += perMessage) {
            call.write({
              block_metadata_type: 'VARIABLE_LENGTH',
              volume_capacity_bytes: found.snapshotSize,
              block_metadata: extents.slice(i, i + perMessage).map((e) => ({ byte_offset: e.offset, size_bytes: e.length })),
            });
          }
          call.end();
        },
        (err: unknown) => {
          const status = toServiceError(err);
          ctx.log.info('csi call refused', { call: name, code: status.code, message: status.details });
          call.emit('error', status);
        },
      );
    };
  }

  /** The request's starting offset as an exact number, checked against the snapshot with max_results. */
  function checkRange(offset: Int64, maxResults: number, found: SnapshotBlocks): number {
    if (!Number.isInteger(maxResults) || maxResults < 0) throw invalidArgument(`max_results must be 0 or more, not ${maxResults}`);
    const startingOffset = int64Field(offset, 'starting_offset');
    if (startingOffset > found.snapshotSize) throw outOfRange(`starting_offset ${startingOffset} is outside the snapshot's ${found.snapshotSize} bytes`);
    return startingOffset;
  }

  return {
    GetMetadataAllocated: stream('GetMetadataAllocated', async (req: { snapshot_id: string; starting_offset: Int64; max_results: number }) => {
      const found = await blocks(localSnapshot('snapshot_id', req.snapshot_id));
      return { found, startingOffset: checkRange(req.starting_offset, req.max_results, found), maxResults: req.max_results };
    }),
    GetMetadataDelta: stream(
      'GetMetadataDelta',
      async (req: { base_snapshot_id: string; target_snapshot_id: string; starting_offset: Int64; max_results: number }) => {
        const base = localSnapshot('base_snapshot_id', req.base_snapshot_id);
        const found = await blocks(localSnapshot('target_snapshot_id', req.target_snapshot_id), base);
        return { found, startingOffset: checkRange(req.starting_offset, req.max_results, found), maxResults: req.max_results };
      },
    ),
  };
}

/**
 * The extents from `offset` on: those ending at or before it are dropped, and one spanning it
 * starts again at the block holding it, so a resumed stream continues where the last one stopped.
 */
export function fromOffset(extents: readonly Extent[], offset: number, blockSize: number): Extent[] {
  if (offset === 0) return [...extents];
  const start = Math.floor(offset / blockSize) * blockSize;
  const out: Extent[] = [];
  for (const extent of extents) {
    const end = extent.offset + extent.length;
    if (end <= offset) continue;
    const from = Math.max(extent.offset, start);
    out.push({ offset: from, length: end - from });
  }
  return out;
}
