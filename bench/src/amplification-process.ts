// What the block size costs for a 5 % change: for each change pattern and candidate block
// size, the blocks the writes touch, their bytes once lz4-compressed with the engine's codec (a
// block store uploads every touched block whole), and how many objects a full backup of the
// image would then hold. Not timed: it answers the format question with exact bytes.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { compressBlock } from '../../packages/backup-store/src/backup/block-codec.js';

interface Input {
  images: Record<string, string>;
  writes: Record<string, { offset: number; length: number }[]>;
  blockSizes: number[];
}

const input = JSON.parse(process.argv[2] ?? '') as Input;
const buf = Buffer.allocUnsafeSlow(Math.max(...input.blockSizes));
const rows = [];
for (const [pattern, writes] of Object.entries(input.writes)) {
  const file = input.images[pattern]!;
  const size = statSync(file).size;
  const fd = openSync(file, 'r');
  try {
    for (const blockSize of input.blockSizes) {
      const touched = new Set<number>();
      for (const { offset, length } of writes) {
        for (let b = Math.floor(offset / blockSize); b <= Math.floor((offset + length - 1) / blockSize); b++) touched.add(b);
      }
      let stored = 0;
      for (const block of touched) {
        const length = Math.min(blockSize, size - block * blockSize);
        readSync(fd, buf, 0, length, block * blockSize);
        stored += (await compressBlock('lz4', buf.subarray(0, length))).length;
      }
      rows.push({
        pattern,
        blockSize,
        touchedBlocks: touched.size,
        rawBytes: touched.size * blockSize,
        storedBytes: stored,
        fullBackupObjects: Math.ceil(size / blockSize),
      });
    }
  } finally {
    closeSync(fd);
  }
}
process.stdout.write(JSON.stringify(rows));
