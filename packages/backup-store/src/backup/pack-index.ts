import { createHash } from 'node:crypto';
import type { CompressionMethod, ObjectStore } from '@convoy/core';
import { ConvoyError, isConvoyError } from '@convoy/core';
import { indexDir, indexKey, indexNameFromFile, packKey, packNameFromKey, packsDir } from './layout.js';
import type { BlobCipher } from './pack-cipher.js';
import { checkBlobs, corruptPack, decodePackHeader, headerLengthOf, PACK_TRAILER_BYTES, type PackBlob } from './pack-format.js';
import type { WrittenPack } from './pack-writer.js';
import { runWorkers } from './workers.js';

/** Where one block is: a pack, its bytes there, and how they open. */
export interface BlobLocation {
  pack: string;
  offset: number;
  length: number;
  rawLength: number;
  compression: CompressionMethod;
}

/**
 * What a volume's index objects say: every pack they list and every block in those packs. An
 * index object is `index/<sha256>.idx`, JSON `{"Packs":[{Name, Size, Blobs}]}` (sealed whole, like
 * every other record, when the volume is encrypted). A block in several packs (two hosts stored
 * it at once, or a repack died between its index and its deletes) has one location, any of them.
 */
export class PackIndex {
  readonly blobs = new Map<string, BlobLocation>();
  readonly packs = new Map<string, WrittenPack>();
  /** Names of the index objects read. */
  readonly indexNames: string[] = [];
  /** Index objects that did not read (CORRUPT), by key. */
  readonly broken: Array<{ key: string; error: ConvoyError }> = [];

  addPack(pack: WrittenPack): void {
    if (this.packs.has(pack.Name)) return;
    this.packs.set(pack.Name, pack);
    for (const b of pack.Blobs) {
      if (!this.blobs.has(b.Name))
        this.blobs.set(b.Name, { pack: pack.Name, offset: b.Offset, length: b.Length, rawLength: b.RawLength, compression: b.Compression });
    }
  }
}

export function encodeIndex(packs: WrittenPack[]): Buffer {
  return Buffer.from(JSON.stringify({ Packs: packs.map(({ Name, Size, Blobs }) => ({ Name, Size, Blobs })) }));
}

export function decodeIndex(data: Buffer, key: string): WrittenPack[] {
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch (err) {
    throw new ConvoyError('CORRUPT', `index object ${key} is unreadable: not JSON (${(err as Error).message})`, { details: { key } });
  }
  const packs = (value as { Packs?: unknown } | null)?.Packs;
  if (!Array.isArray(packs)) throw new ConvoyError('CORRUPT', `index object ${key} is unreadable: it lists no packs`, { details: { key } });
  return packs.map((entry: unknown, i) => {
    const p = (entry ?? {}) as Partial<WrittenPack>;
    if (typeof p.Name !== 'string' || packNameFromKey(`/packs/${p.Name.slice(0, 2)}/${p.Name}.pack`) !== p.Name) {
      throw new ConvoyError('CORRUPT', `index object ${key} is unreadable: pack ${i} has name ${JSON.stringify(p.Name)}`, { details: { key } });
    }
    if (!Number.isSafeInteger(p.Size) || (p.Size as number) <= PACK_TRAILER_BYTES) {
      throw new ConvoyError('CORRUPT', `index object ${key} is unreadable: pack ${p.Name} has size ${JSON.stringify(p.Size)}`, { details: { key } });
    }
    try {
      return {
        Name: p.Name,
        Size: p.Size as number,
        Blobs: checkBlobs(p.Blobs, `pack ${p.Name} in index object ${key}`, (p.Size as number) - PACK_TRAILER_BYTES),
      };
    } catch (err) {
      throw isConvoyError(err) ? new ConvoyError('CORRUPT', err.message, { cause: err, details: { key } }) : err;
    }
  });
}

/** Writes an index object listing `packs`; named by its content, so writing it twice is harmless. Returns its name. */
export async function writeIndex(store: ObjectStore, volumeName: string, packs: WrittenPack[]): Promise<string> {
  const data = encodeIndex(packs);
  const name = createHash('sha256').update(data).digest('hex');
  await store.put(indexKey(volumeName, name), data);
  return name;
}

/** Reads every index object of the volume (one listing, one GET each); unreadable ones land in `broken`. `signal` cancels the reads. */
export async function loadPackIndex(store: ObjectStore, volumeName: string, signal?: AbortSignal): Promise<PackIndex> {
  const index = new PackIndex();
  const names = (await store.listDir(indexDir(volumeName), { signal })).files
    .map(indexNameFromFile)
    .filter((n): n is string => n !== undefined)
    .sort();
  const read: Array<WrittenPack[] | undefined> = [];
  await runWorkers(
    names.entries(),
    8,
    async ([i, name]) => {
      const key = indexKey(volumeName, name);
      try {
        const data = await store.get(key, { signal });
        read[i] = data ? decodeIndex(data, key) : undefined;
      } catch (err) {
        if (!isConvoyError(err, 'CORRUPT')) throw err;
        index.broken.push({ key, error: err });
      }
    },
    signal,
  );
  // In name order, so every reader of the same store picks the same location for a block.
  names.forEach((name, i) => {
    if (!read[i]) return;
    index.indexNames.push(name);
    for (const pack of read[i]!) index.addPack(pack);
  });
  return index;
}

/** The packs in the store, by name, with their sizes (one listing of `packs/`). */
export async function listPacks(store: ObjectStore, volumeName: string, signal?: AbortSignal): Promise<Map<string, { size: number; mtime: Date }>> {
  const packs = new Map<string, { size: number; mtime: Date }>();
  for await (const info of store.list(packsDir(volumeName), { signal })) {
    const name = packNameFromKey(info.key);
    if (name) packs.set(name, { size: info.size, mtime: info.mtime });
  }
  return packs;
}

/** A guess at a header's size: one ranged read fetches header and trailer together for packs of up to a few hundred blobs. */
const TAIL_READ_BYTES = 64 * 1024;

/** The blobs a pack's own header lists, read from its end (one or two ranged reads). */
export async function readPackHeader(
  store: ObjectStore,
  volumeName: string,
  packName: string,
  size: number,
  cipher: BlobCipher | undefined,
  signal?: AbortSignal,
): Promise<PackBlob[]> {
  const key = packKey(volumeName, packName);
  const first = Math.min(size, TAIL_READ_BYTES);
  let tail = await store.getRange(key, size - first, first, undefined, { signal });
  if (!tail) throw new ConvoyError('NOT_FOUND', `pack ${key} is missing`, { details: { key } });
  if (tail.length !== first) throw corruptPack(key, `it holds ${size - first + tail.length} bytes where the listing said ${size}`);
  const headerLength = headerLengthOf(tail, size, key);
  if (headerLength + PACK_TRAILER_BYTES > tail.length) {
    tail = await store.getRange(key, size - headerLength - PACK_TRAILER_BYTES, headerLength + PACK_TRAILER_BYTES, undefined, { signal });
    if (!tail || tail.length !== headerLength + PACK_TRAILER_BYTES) throw corruptPack(key, 'it changed while its header was read');
  }
  const header = tail.subarray(tail.length - PACK_TRAILER_BYTES - headerLength, tail.length - PACK_TRAILER_BYTES);
  return decodePackHeader(header, key, size - PACK_TRAILER_BYTES - headerLength, cipher);
}

/**
 * Adds to `index` the packs no index object lists, from their own headers (a pack describes
 * itself): what a restore falls back on when an index object is lost or corrupt. Packs whose
 * header does not read are returned in `unreadable`.
 */
export async function indexUnlistedPacks(
  store: ObjectStore,
  volumeName: string,
  index: PackIndex,
  cipher: BlobCipher | undefined,
  signal?: AbortSignal,
): Promise<{ added: string[]; unreadable: Array<{ key: string; error: ConvoyError }> }> {
  const added: string[] = [];
  const unreadable: Array<{ key: string; error: ConvoyError }> = [];
  const unlisted = [...(await listPacks(store, volumeName, signal))].filter(([name]) => !index.packs.has(name));
  await runWorkers(
    unlisted,
    8,
    async ([name, { size }]) => {
      try {
        index.addPack({ Name: name, Size: size, Blobs: await readPackHeader(store, volumeName, name, size, cipher, signal) });
        added.push(name);
      } catch (err) {
        if (!isConvoyError(err, 'CORRUPT') && !isConvoyError(err, 'NOT_FOUND')) throw err;
        unreadable.push({ key: packKey(volumeName, name), error: err });
      }
    },
    signal,
  );
  return { added, unreadable };
}
