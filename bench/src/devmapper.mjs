import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleChild } from './bundle.mjs';
import { PATTERNS } from './dataset.mjs';

const repoRoot = path.resolve(import.meta.dirname, '../..');
export const DM_VM_RUN = path.join(repoRoot, 'scripts/dm-vm-run.sh');
/** The guest's RAM: half of it is the tmpfs holding the pool's loop files and the stores. */
const GUEST_MEMORY_MIB = 4096;
let running;

/** Stops a guest this process started (dm-vm-run.sh kills the VM on SIGTERM), if one runs. */
export function stopDevmapperGuest() {
  running?.kill('SIGTERM');
}

/**
 * The device-mapper case: boots the dm-thin guest once (scripts/dm-vm-run.sh) and runs
 * dm-guest.mjs in it on `dataset`; returns its measured records. The guest shares `workDir`
 * read-write with the host (where the results land) and sees the rest of the host read-only.
 */
export async function runDevmapperCase({ dataset, bundleDir, workDir, log }) {
  if (!existsSync(DM_VM_RUN)) throw new Error(`the device-mapper case needs ${DM_VM_RUN} (the dm-thin guest harness)`);
  const bundle = await bundleChild(path.join(import.meta.dirname, 'dm-process.ts'), path.join(bundleDir, 'dm-process.mjs'));
  mkdirSync(workDir, { recursive: true });
  const inputFile = path.join(workDir, 'dm-input.json');
  const resultFile = path.join(workDir, 'dm-results.json');
  writeFileSync(
    inputFile,
    JSON.stringify({
      size: dataset.spec.size,
      images: Object.fromEntries(Object.entries(dataset.images).map(([name, img]) => [name, img.path])),
      sha256: Object.fromEntries(Object.entries(dataset.images).map(([name, img]) => [name, img.sha256])),
      patterns: Object.fromEntries(PATTERNS.map((p) => [p.name, dataset.patterns[p.name].writes.map(({ offset, length }) => ({ offset, length }))])),
      bundle,
      resultFile,
    }),
  );
  const guestCommand = `${process.execPath} ${path.join(import.meta.dirname, 'dm-guest.mjs')} ${inputFile}`;
  const code = await new Promise((resolve, reject) => {
    const child = spawn(DM_VM_RUN, [guestCommand], {
      cwd: workDir,
      env: { ...process.env, DMVM_MEM: String(GUEST_MEMORY_MIB) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running = child;
    const relay = (stream) => {
      let pending = '';
      stream.on('data', (chunk) => {
        const lines = (pending + chunk).split('\n');
        pending = lines.pop();
        for (const line of lines) if (line.trim()) log(line);
      });
    };
    relay(child.stdout);
    relay(child.stderr);
    child.on('error', reject);
    child.on('close', (exitCode) => {
      running = undefined;
      resolve(exitCode);
    });
  });
  if (code !== 0 || !existsSync(resultFile)) throw new Error(`the device-mapper guest failed (exit ${code}); its output is above`);
  return { records: JSON.parse(readFileSync(resultFile, 'utf8')).records, guestMemoryMiB: GUEST_MEMORY_MIB, sizeBytes: dataset.spec.size };
}
