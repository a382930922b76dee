import { ConvoyError } from '@convoy/core';
import { openObject, sealObject } from './crypto/seal.js';

/**
 * How an encrypted volume's packs are sealed: each blob alone, with its block name as the
 * associated data, and each pack's header alone. A blob moved to another pack (a repack), or
 * read alone by range (a restore), still opens; a blob swapped for another block's fails. The
 * pack object itself is not sealed again (sealed-store.ts passes packs through), and a pack
 * holds nothing else: lengths are all it shows.
 */
export interface BlobCipher {
  seal(blockName: string, stored: Buffer): Buffer;
  open(blockName: string, sealed: Buffer): Buffer;
  sealHeader(header: Buffer): Buffer;
  openHeader(sealed: Buffer, packKey: string): Buffer;
}

/** The associated data of a pack header: not the pack's key (the key is the hash of the sealed bytes). */
const HEADER_AAD = 'convoy-pack-header';

export function blobCipher(encKey: Buffer): BlobCipher {
  return {
    seal: (blockName, stored) => sealObject(encKey, blobAad(blockName), stored),
    open: (blockName, sealed) => openObject(encKey, blobAad(blockName), sealed),
    sealHeader: (header) => sealObject(encKey, HEADER_AAD, header),
    openHeader: (sealed, packKey) => {
      try {
        return openObject(encKey, HEADER_AAD, sealed);
      } catch (err) {
        throw new ConvoyError('CORRUPT', `the header of pack ${packKey} was modified, truncated or swapped: it fails authentication`, {
          cause: err,
          details: { key: packKey },
        });
      }
    },
  };
}

function blobAad(blockName: string): string {
  return `convoy-blob:${blockName}`;
}
