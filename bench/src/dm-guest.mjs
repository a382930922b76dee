// Runs inside the dm-thin guest (scripts/dm-vm-run.sh), as root: the device-mapper case. A thin
// pool on loop devices in the guest's RAM; per change pattern a fresh thin volume holding the
// base image, a full backup, the pattern written onto the device and snapshotted, and an
// incremental; after the last pattern a restore into a new thin volume, verified bit-exact.
// Convoy (the devmapper driver + engine, dm-process.mjs) gets its changes from thin_delta;
// restic reads the whole thin device (`--stdin`) each time. Every timed step is a child under
// GNU time; results go to the JSON file named by the input.
import { mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sha256File } from './dataset.mjs';
import { dirStoreUsage } from './files.mjs';
import { measureStep, runChecked } from './measure.mjs';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { size, images, patterns, bundle, resultFile } = input;
const work = '/tmp/convoy-bench-dm';
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const log = (m) => console.log(`dm guest: ${m}`);

async function loopDevice(name, bytes) {
  const file = path.join(work, `${name}.img`);
  writeFileSync(file, '');
  truncateSync(file, bytes);
  return (await runChecked('losetup', ['-f', '--show', file])).stdout.trim();
}

const names = Object.keys(patterns);
// Each pattern's volume lives alone (deleted after), plus its snapshots and one restore target.
const dataDevice = await loopDevice('data', 4 * size + 512 * 2 ** 20);
const metadataDevice = await loopDevice('metadata', 64 * 2 ** 20);
const driverOptions = { 'dm.datadev': dataDevice, 'dm.metadatadev': metadataDevice, 'dm.thinpoolname': 'benchpool' };
const driverRoot = path.join(work, 'driver');
// CONVOY_BENCH_DM_PROFILE=1: Convoy's backups and restores run under --cpu-prof, every thread's
// profile written to profiles/ in the work directory the host shares (keep it with --keep).
const profileDir = process.env.CONVOY_BENCH_DM_PROFILE ? path.join(process.cwd(), 'profiles') : undefined;
const profiled = (command) => (profileDir && (command.op === 'backup' || command.op === 'restore') ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
const convoy = (command) => [process.execPath, ...profiled(command), bundle, JSON.stringify({ root: driverRoot, options: driverOptions, ...command })];
const resticEnv = { ...process.env, RESTIC_PASSWORD: 'convoy-bench', RESTIC_CACHE_DIR: path.join(work, 'restic-cache') };
const exec = (argv, opts) => runChecked(argv[0], argv.slice(1), opts);

const records = [];
async function step(tool, caseName, argv, storeDir, env) {
  await runChecked('sync', []);
  const { record, stdout } = await measureStep({ tool, store: 'devmapper', caseName, command: { argv, env }, storeUsage: () => dirStoreUsage(storeDir) });
  if (tool === 'convoy') record.report = JSON.parse(stdout);
  records.push(record);
  log(
    `${tool} ${caseName}: ${record.wallSeconds.toFixed(2)} s wall, ${record.cpuSeconds.toFixed(2)} s CPU, ${(record.maxRssBytes / 2 ** 20).toFixed(0)} MiB, +${(record.storeBytesAdded / 1e6).toFixed(1)} MB`,
  );
  return { record, stdout };
}

/** sha256 of the first `size` bytes of a device, through a bounded copy. */
async function deviceSha256(device) {
  const copy = path.join(work, 'verify.img');
  await runChecked('dd', [`if=${device}`, `of=${copy}`, 'bs=2M', `count=${size / 2 ** 21}`, 'status=none']);
  const sha = sha256File(copy);
  rmSync(copy, { force: true });
  return sha;
}

try {
  for (const [i, name] of names.entries()) {
    const volume = `vol-${name}`;
    const convoyStore = path.join(work, `convoy-${name}`);
    const resticRepo = path.join(work, `restic-${name}`);
    mkdirSync(convoyStore, { recursive: true });
    const storeUrl = `vfs://${convoyStore}`;
    log(`pattern ${name}: a thin volume with the base image, snapshot base`);
    const { device } = JSON.parse((await exec(convoy({ op: 'create', volume, size, image: images.base }))).stdout);
    const resticRead = ['bash', '-c', `exec restic -r ${resticRepo} backup -q --host bench --stdin --stdin-filename disk.img < ${device}`];
    await runChecked('restic', ['-r', resticRepo, 'init', '-q'], { env: resticEnv });
    await step('convoy', 'full', convoy({ op: 'backup', volume, snapshot: 'base', storeUrl }), convoyStore);
    await step('restic', 'full', resticRead, resticRepo, resticEnv);
    log(`pattern ${name}: writing ${patterns[name].length} extents onto the device, snapshot ${name}`);
    await exec(convoy({ op: 'change', volume, image: images[name], writes: patterns[name], snapshot: name }));
    await step('convoy', `incr-${name}`, convoy({ op: 'backup', volume, snapshot: name, storeUrl }), convoyStore);
    await step('restic', `incr-${name}`, resticRead, resticRepo, resticEnv);
    if (i === names.length - 1) {
      const convoyRestored = `restored-convoy-${name}`;
      const r = await step('convoy', 'restore', convoy({ op: 'restore', volume, snapshot: name, storeUrl, restoredVolume: convoyRestored }), convoyStore);
      r.record.verified = (await deviceSha256(JSON.parse(r.stdout).device)) === input.sha256[name];
      // Both restores end durable inside the timed step (Convoy's commit, restic's `sync DEVICE`).
      r.record.fsyncSeconds = 0;
      // restic restores onto a fresh thin volume too: `restic dump` of the file onto the device.
      const resticRestored = `restored-restic-${name}`;
      const blank = JSON.parse((await exec(convoy({ op: 'blank', volume: resticRestored, size }))).stdout).device;
      const rr = await step(
        'restic',
        'restore',
        ['bash', '-c', `restic -r ${resticRepo} dump -q latest /disk.img > ${blank} && sync ${blank}`],
        resticRepo,
        resticEnv,
      );
      rr.record.verified = (await deviceSha256(blank)) === input.sha256[name];
      rr.record.fsyncSeconds = 0;
      await exec(convoy({ op: 'delete', volumes: [convoyRestored, resticRestored] }));
      if (!r.record.verified || !rr.record.verified)
        throw new Error(`a devmapper restore came back with the wrong content (convoy ${r.record.verified}, restic ${rr.record.verified})`);
    }
    await exec(convoy({ op: 'delete', volumes: [volume] }));
    rmSync(convoyStore, { recursive: true, force: true });
    rmSync(resticRepo, { recursive: true, force: true });
  }
  writeFileSync(resultFile, JSON.stringify({ records }));
} finally {
  await runChecked('dmsetup', ['remove_all']).catch(() => undefined);
  await runChecked('losetup', ['-D']).catch(() => undefined);
}
