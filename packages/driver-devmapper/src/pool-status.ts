import { ConvoyError } from '@convoy/core';

/** dm-thin metadata blocks are always 4 KiB, whatever the pool block size. */
export const METADATA_BLOCK_BYTES = 4096;

export type PoolMode = 'rw' | 'ro' | 'out_of_data_space' | 'fail';

export interface PoolStatus {
  mode: PoolMode;
  transactionId: number;
  usedMetadataBlocks: number;
  totalMetadataBlocks: number;
  usedDataBlocks: number;
  totalDataBlocks: number;
  /** Metadata block of a held metadata snapshot (reserve_metadata_snap), if any. */
  heldMetadataRoot?: number;
  noSpacePolicy?: 'error' | 'queue';
  /** The kernel found a problem and wants thin_check run before it goes read-write again. */
  needsCheck: boolean;
}

/**
 * Parses one line of `dmsetup status <pool>`:
 * `0 <len> thin-pool <trans> <meta used>/<total> <data used>/<total> <held root|-> <rw|ro|out_of_data_space>
 *  <discard_passdown|no_discard_passdown> <error_if_no_space|queue_if_no_space> <needs_check|-> <meta low water>`,
 * or `0 <len> thin-pool Fail` when the pool has failed.
 */
export function parsePoolStatus(line: string): PoolStatus {
  const fields = line.trim().split(/\s+/);
  if (fields[2] !== 'thin-pool') throw new ConvoyError('STATE_ERROR', `not a thin-pool status line: ${JSON.stringify(line.trim())}`);
  const rest = fields.slice(3);
  if (rest[0] === 'Fail' || rest[0] === 'Error') {
    return { mode: 'fail', transactionId: 0, usedMetadataBlocks: 0, totalMetadataBlocks: 0, usedDataBlocks: 0, totalDataBlocks: 0, needsCheck: true };
  }
  const ratio = (text: string | undefined): [number, number] => {
    const m = /^(\d+)\/(\d+)$/.exec(text ?? '');
    if (!m) throw new ConvoyError('STATE_ERROR', `unexpected thin-pool status ${JSON.stringify(line.trim())}`);
    return [Number(m[1]), Number(m[2])];
  };
  const [usedMetadataBlocks, totalMetadataBlocks] = ratio(rest[1]);
  const [usedDataBlocks, totalDataBlocks] = ratio(rest[2]);
  const mode = rest[4];
  if (mode !== 'rw' && mode !== 'ro' && mode !== 'out_of_data_space') {
    throw new ConvoyError('STATE_ERROR', `unexpected thin-pool mode ${JSON.stringify(mode)} in ${JSON.stringify(line.trim())}`);
  }
  const status: PoolStatus = {
    mode,
    transactionId: Number(rest[0]),
    usedMetadataBlocks,
    totalMetadataBlocks,
    usedDataBlocks,
    totalDataBlocks,
    needsCheck: rest.includes('needs_check'),
  };
  if (rest[3] && rest[3] !== '-') status.heldMetadataRoot = Number(rest[3]);
  if (rest.includes('error_if_no_space')) status.noSpacePolicy = 'error';
  else if (rest.includes('queue_if_no_space')) status.noSpacePolicy = 'queue';
  return status;
}
