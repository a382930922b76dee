import type { ObjectStore, ProgressListener } from '@convoy/core';
import { isConvoyError, toConvoyError } from '@convoy/core';
import { decompressBlock } from './block-codec.js';
import { packKey, packsDir } from './layout.js';
import type { BlobCipher } from './pack-cipher.js';
import { decodePackHeader, headerLengthOf, PACK_TRAILER_BYTES, type PackBlob } from './pack-format.js';
import { indexUnlistedPacks, listPacks, loadPackIndex } from './pack-index.js';
import type { WrittenPack } from './pack-writer.js';
import { runWorkers } from './workers.js';

export type PackProblemKind = 'missing-block' | 'corrupt-block' | 'missing-pack' | 'corrupt-pack' | 'unreadable-index';

export interface PackVerifyParams {
  store: ObjectStore;
  volumeName: string;
  /** Blocks the pack-layout backups being verified map. */
  names: Set<string>;
  deep: boolean;
  /** With `deep`: the share of the packs to read (at least one). */
  sample: number;
  cipher: BlobCipher | undefined;
  nameBlock: (data: Buffer) => string;
  concurrency: number;
  /** `blocks`: the blocks the problem damages (every backup mapping one is damaged). */
  problem: (kind: PackProblemKind, key: string, message: string, blocks: string[]) => void;
  onBlockRead: () => void;
  onProgress?: ProgressListener | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * `backup verify` for the pack layout. Quick: every index object parses (and, encrypted,
 * authenticates); every block the backups map is in a pack some index object (or, failing that,
 * the pack's own header) lists; that pack exists and is as long as its index says. Deep: each
 * pack holding such blocks is read whole once: its trailer and header must read and agree with
 * the index, and every block the backups map in it is opened (authenticated, decompressed) and
 * checked against its name.
 */
export async function verifyPacks(p: PackVerifyParams): Promise<void> {
  const index = await loadPackIndex(p.store, p.volumeName, p.signal);
  for (const { key, error } of index.broken) p.problem('unreadable-index', key, `index object ${key} does not read: ${error.message}`, []);
  if ([...p.names].some((name) => !index.blobs.has(name))) {
    const { unreadable } = await indexUnlistedPacks(p.store, p.volumeName, index, p.cipher, p.signal);
    for (const { key, error } of unreadable) p.problem('corrupt-pack', key, error.message, []);
  }
  const inStore = await listPacks(p.store, p.volumeName, p.signal);
  const wanted = new Map<string, Set<string>>();
  for (const name of p.names) {
    const at = index.blobs.get(name);
    if (!at) {
      p.problem('missing-block', packsDir(p.volumeName), `block ${name} is in no pack: no index object and no pack header lists it`, [name]);
      continue;
    }
    const names = wanted.get(at.pack) ?? new Set<string>();
    names.add(name);
    wanted.set(at.pack, names);
  }
  const readable: WrittenPack[] = [];
  for (const [packName, names] of wanted) {
    const pack = index.packs.get(packName)!;
    const key = packKey(p.volumeName, packName);
    const found = inStore.get(packName);
    if (!found) p.problem('missing-pack', key, `pack ${key} is missing (it holds ${names.size} blocks the backups map)`, [...names]);
    else if (found.size !== pack.Size)
      p.problem('corrupt-pack', key, `pack ${key} is ${found.size} bytes where its index says ${pack.Size}: cut short or replaced`, [...names]);
    else readable.push(pack);
  }
  if (!p.deep) return;
  const chosen = p.sample >= 1 ? readable : readable.filter(() => Math.random() < p.sample);
  if (chosen.length === 0 && readable.length > 0) chosen.push(readable[Math.floor(Math.random() * readable.length)]!);
  const totalBytes = chosen.reduce((sum, pack) => sum + pack.Size, 0);
  let doneBytes = 0;
  await runWorkers(
    chosen,
    Math.min(p.concurrency, 3),
    async (pack) => {
      await readPack(p, pack, wanted.get(pack.Name)!);
      doneBytes += pack.Size;
      p.onProgress?.({ phase: `verify ${p.volumeName}`, doneBytes, totalBytes });
    },
    p.signal,
  );
}

async function readPack(p: PackVerifyParams, pack: WrittenPack, names: Set<string>): Promise<void> {
  const key = packKey(p.volumeName, pack.Name);
  const bytes = await p.store.get(key, { signal: p.signal });
  if (!bytes) return p.problem('missing-pack', key, `pack ${key} is missing`, [...names]);
  try {
    const headerLength = headerLengthOf(bytes, bytes.length, key);
    const dataLength = bytes.length - PACK_TRAILER_BYTES - headerLength;
    const header = decodePackHeader(bytes.subarray(dataLength, dataLength + headerLength), key, dataLength, p.cipher);
    if (!sameBlobs(header, pack.Blobs)) p.problem('corrupt-pack', key, `pack ${key}: its header and its index object disagree about what it holds`, []);
  } catch (err) {
    if (!isConvoyError(err, 'CORRUPT')) throw err;
    p.problem('corrupt-pack', key, err.message, []);
  }
  for (const blob of pack.Blobs) {
    if (!names.has(blob.Name)) continue;
    p.onBlockRead();
    try {
      const sealed = bytes.subarray(blob.Offset, blob.Offset + blob.Length);
      const stored = p.cipher ? p.cipher.open(blob.Name, sealed) : sealed;
      const data = await decompressBlock(blob.Compression, stored, blob.RawLength);
      const actual = p.nameBlock(data);
      if (data.length !== blob.RawLength)
        p.problem('corrupt-block', key, `block ${blob.Name} in pack ${key} opens to ${data.length} bytes, not ${blob.RawLength}`, [blob.Name]);
      else if (actual !== blob.Name) p.problem('corrupt-block', key, `block ${blob.Name} in pack ${key} is corrupt: its bytes hash to ${actual}`, [blob.Name]);
    } catch (err) {
      const error = toConvoyError(err);
      if (error.code !== 'CORRUPT') throw error;
      p.problem('corrupt-block', key, `block ${blob.Name} in pack ${key} is corrupt: ${error.message}`, [blob.Name]);
    }
  }
}

function sameBlobs(a: PackBlob[], b: PackBlob[]): boolean {
  return (
    a.length === b.length &&
    a.every(
      (x, i) =>
        x.Name === b[i]!.Name &&
        x.Offset === b[i]!.Offset &&
        x.Length === b[i]!.Length &&
        x.RawLength === b[i]!.RawLength &&
        x.Compression === b[i]!.Compression,
    )
  );
}
