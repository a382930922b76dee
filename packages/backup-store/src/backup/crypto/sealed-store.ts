import { pipeline, Readable } from 'node:stream';
import { failOnCancel, forwardStore, type ObjectStore, type StoreCallOptions, validateRange } from '@convoy/core';
import { backupFilesDir, locksDir, packsDir, volumeConfigKey, volumeDir } from '../layout.js';
import type { MasterKey } from './master-key.js';
import { openObject, sealObject } from './seal.js';
import { OpenStream, SealStream } from './seal-stream.js';

/**
 * The store as an encrypted volume's code sees it: every object in the volume's directory is
 * sealed on the way in and authenticated on the way out, bound to its key, except the two the
 * operator may read: volume.cfg (names, sizes and which store key: see README, "What stays in
 * the clear") and lock objects (other hosts must read them without the key). Packs pass as they
 * are: the pack code seals each blob and each pack's header itself (pack-cipher.ts), so that a
 * repack moves sealed blobs without opening them and a restore reads one blob by range. Archives under
 * BackupFiles/ are sealed in segments, as a stream; everything else whole.
 *
 * The engine keeps its object keys, listings and sizes; only bytes change. Nothing outside the
 * volume's directory is touched, so a wrapped store is used for one volume only. Every other
 * member passes through forwardStore, and every call's options (its signal) reach the store.
 */
export function sealedStore(store: ObjectStore, master: MasterKey, volumeName: string): ObjectStore {
  const dir = volumeDir(volumeName);
  const clear = (key: string) =>
    !key.startsWith(dir) || key === volumeConfigKey(volumeName) || key.startsWith(locksDir(volumeName)) || key.startsWith(packsDir(volumeName));
  const streamed = (key: string) => key.startsWith(backupFilesDir(volumeName));
  const openStream = (key: string, source: Readable): Readable => pipeline(source, new OpenStream(master.encKey, key), () => undefined);

  const get = async (key: string, opts?: StoreCallOptions): Promise<Buffer | undefined> => {
    if (clear(key)) return store.get(key, opts);
    if (streamed(key)) {
      const source = await store.getStream(key, opts);
      return source && Buffer.concat(await openStream(key, source).toArray());
    }
    const sealed = await store.get(key, opts);
    return sealed && openObject(master.encKey, key, sealed);
  };
  return forwardStore(store, {
    get,
    async getStream(key, opts) {
      if (clear(key)) return store.getStream(key, opts);
      if (streamed(key)) {
        const source = await store.getStream(key, opts);
        return source && openStream(key, source);
      }
      const data = await get(key, opts);
      return data && failOnCancel(Readable.from([data]), opts?.signal, `reading ${key}`);
    },
    async getRange(key, offset, length, into, opts) {
      if (clear(key)) return store.getRange(key, offset, length, into, opts);
      // A sealed object authenticates whole: read it all, then cut the range from the plaintext (`into` unused).
      validateRange(offset, length, into);
      const data = await get(key, opts);
      return data?.subarray(offset, offset + length);
    },
    async put(key, body, opts) {
      if (clear(key)) return store.put(key, body, opts);
      if (streamed(key)) {
        const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
        // pipeline destroys the sealing stream with the source's error, so the upload fails too.
        return store.put(
          key,
          pipeline(source, new SealStream(master.encKey, key), () => undefined),
          opts,
        );
      }
      const whole = Buffer.isBuffer(body) ? body : Buffer.concat(await failOnCancel(body, opts?.signal, `writing ${key}`).toArray());
      return store.put(key, sealObject(master.encKey, key, whole), opts);
    },
  });
}
