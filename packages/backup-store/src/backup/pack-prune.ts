import type { ObjectStore } from '@convoy/core';
import { ConvoyError, checkPercent } from '@convoy/core';
import { KeyBatch } from './key-batch.js';
import { indexKey, packKey } from './layout.js';
import type { BlobCipher } from './pack-cipher.js';
import { corruptPack } from './pack-format.js';
import { listPacks, loadPackIndex, PackIndex, readPackHeader, writeIndex } from './pack-index.js';
import { PackWriter, type WrittenPack } from './pack-writer.js';
import { runWorkers } from './workers.js';

/** Rewrite a pack once more than this share of its bytes is unused (restic's --max-unused, per pack). */
export const DEFAULT_MAX_UNUSED = 0.1;

/** The engine takes a share (0.1 = 10%); its range is the `maxUnused` percentage's in bounded/ranges.ts. */
export function validateMaxUnused(value: unknown): number {
  const what = 'the unused share that makes prune rewrite a pack (0.1 = 10%), as a percentage,';
  if (typeof value !== 'number') throw new ConvoyError('INVALID_ARGUMENT', `${what} ${JSON.stringify(value)} is not a number`);
  checkPercent(value * 100, what, 'maxUnused', value);
  return value;
}

export interface PackPruneParams {
  store: ObjectStore;
  volumeName: string;
  /** Every block a backup record of the volume maps. */
  referenced: Set<string>;
  /** Objects modified after this (server time) may belong to a backup still running: never touched. */
  cutoffMs: number;
  maxUnused: number;
  cipher: BlobCipher | undefined;
  packSize: number;
  packUploads: number;
}

export interface PackPruneResult {
  packsScanned: number;
  packsRemoved: number;
  packsRewritten: number;
  packsKeptForGrace: number;
  bytesRemoved: number;
  /** Objects (packs and index objects) still in the volume after the prune. */
  kept: number;
}

/**
 * Prune for the pack layout (restic's model), under the volume's exclusive lock:
 *
 * 1. Read the index objects, and the headers of old packs no readable index lists (a lost or
 *    corrupt index object, a repack that died): the pack set as it is.
 * 2. A block a backup maps is used in one pack (the first that lists it); every other copy, and
 *    every block no backup maps, is unused.
 * 3. Old packs with nothing used go; old packs whose unused share is above `maxUnused` are
 *    rewritten: their used blobs are copied, still sealed, into new packs.
 * 4. Write order: new packs, then ONE index object listing every pack that stays, then the old
 *    index objects are deleted, then the packs that went. A crash anywhere leaves packs that
 *    some index or their own header describes, and every used block in a listed pack: the next
 *    prune finishes the job (unlisted old packs are read from their headers, found to be copies,
 *    and removed).
 *
 * Packs younger than the cutoff are kept as they are (a backup whose lock lapsed may still be
 * writing its index); index objects written after our listing are never deleted.
 */
export async function prunePacks(p: PackPruneParams): Promise<PackPruneResult> {
  const result: PackPruneResult = { packsScanned: 0, packsRemoved: 0, packsRewritten: 0, packsKeptForGrace: 0, bytesRemoved: 0, kept: 0 };
  const index = await loadPackIndex(p.store, p.volumeName);
  const inStore = await listPacks(p.store, p.volumeName);
  const listed = index.packs.size;
  const young = new Set([...inStore].filter(([, info]) => info.mtime.getTime() > p.cutoffMs).map(([name]) => name));
  await addUnlistedOldPacks(p, index, inStore, young);
  // Packs an index lists but the store lacks are left out of the new index (verify names them),
  // and a used block is located in a pack that is there.
  const present = [...index.packs.values()].filter((pack) => inStore.has(pack.Name));
  const live = new PackIndex();
  for (const pack of present) live.addPack(pack);

  const used = new Map<string, Set<string>>();
  for (const name of p.referenced) {
    const at = live.blobs.get(name);
    if (!at) continue;
    const names = used.get(at.pack) ?? new Set<string>();
    names.add(name);
    used.set(at.pack, names);
  }
  const keep: WrittenPack[] = [];
  const rewrite: WrittenPack[] = [];
  const remove: WrittenPack[] = [];
  for (const pack of present) {
    result.packsScanned += 1;
    if (young.has(pack.Name)) {
      result.packsKeptForGrace += 1;
      keep.push(pack);
      continue;
    }
    const usedNames = used.get(pack.Name);
    const total = pack.Blobs.reduce((sum, b) => sum + b.Length, 0);
    const usedBytes = pack.Blobs.reduce((sum, b) => sum + (usedNames?.has(b.Name) ? b.Length : 0), 0);
    if (usedBytes === 0) remove.push(pack);
    else if (total - usedBytes > p.maxUnused * total) rewrite.push(pack);
    else keep.push(pack);
  }
  // Unlisted young packs are a running backup's: untouched, and not listed by us either.
  result.packsKeptForGrace += [...young].filter((name) => !index.packs.has(name)).length;

  const changed =
    rewrite.length + remove.length > 0 ||
    index.indexNames.length > 1 ||
    index.broken.length > 0 ||
    index.packs.size !== listed ||
    present.length !== index.packs.size;
  if (!changed) {
    result.kept = keep.length + index.indexNames.length;
    return result;
  }
  const survivors = [...keep, ...(await movePacks(p, rewrite, used))];
  const written = survivors.length > 0 ? await writeIndex(p.store, p.volumeName, survivors) : undefined;
  // The old index objects go before the packs they list, so no index ever names a deleted pack.
  const batch = new KeyBatch(p.store);
  for (const name of index.indexNames) if (name !== written) await batch.add(indexKey(p.volumeName, name));
  for (const { key } of index.broken) await batch.add(key);
  await batch.flush();
  for (const pack of [...rewrite, ...remove]) {
    result.bytesRemoved += inStore.get(pack.Name)?.size ?? pack.Size;
    await batch.add(packKey(p.volumeName, pack.Name));
  }
  await batch.flush();
  result.packsRemoved = remove.length;
  result.packsRewritten = rewrite.length;
  result.kept = survivors.length + (written ? 1 : 0);
  return result;
}

/** Old packs no readable index object lists are read from their own headers; unreadable ones stay for verify to name. */
async function addUnlistedOldPacks(p: PackPruneParams, index: PackIndex, inStore: Map<string, { size: number }>, young: Set<string>): Promise<void> {
  const unlisted = [...inStore].filter(([name]) => !index.packs.has(name) && !young.has(name));
  const headers: Array<WrittenPack | undefined> = [];
  await runWorkers(unlisted.entries(), 8, async ([i, [name, { size }]]) => {
    try {
      headers[i] = { Name: name, Size: size, Blobs: await readPackHeader(p.store, p.volumeName, name, size, p.cipher) };
    } catch {
      // A pack whose header does not read is left alone: it may be the only copy of something.
      young.add(name);
    }
  });
  for (const header of headers) if (header) index.addPack(header);
}

/** Copies the used blobs of `packs` into new packs, one ranged read per pack. */
async function movePacks(p: PackPruneParams, packs: WrittenPack[], used: Map<string, Set<string>>): Promise<WrittenPack[]> {
  if (packs.length === 0) return [];
  const writer = new PackWriter({ store: p.store, volumeName: p.volumeName, targetSize: p.packSize, maxUploads: p.packUploads, cipher: p.cipher });
  try {
    for (const pack of packs) {
      const blobs = pack.Blobs.filter((b) => used.get(pack.Name)?.has(b.Name));
      const start = blobs[0]!.Offset;
      const end = blobs[blobs.length - 1]!.Offset + blobs[blobs.length - 1]!.Length;
      const key = packKey(p.volumeName, pack.Name);
      const bytes = await p.store.getRange(key, start, end - start);
      if (!bytes || bytes.length !== end - start) throw corruptPack(key, 'it is shorter than its index says; run backup verify before prune');
      for (const blob of blobs) {
        const data = bytes.subarray(blob.Offset - start, blob.Offset - start + blob.Length);
        // A sealed blob opens under its own name only: a blob swapped in a damaged pack is not carried over.
        if (p.cipher) p.cipher.open(blob.Name, data);
        await writer.move(blob, data);
      }
    }
    return await writer.finish();
  } catch (err) {
    await writer.abandon();
    throw err;
  }
}
