// `pnpm bench`: Convoy, restic and borg backing up and restoring the same seeded volume image,
// in one process tree, each step a measured child process. See BENCHMARKS.md for the method.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { bundleChild } from './src/bundle.mjs';
import { CASES, runToolCases } from './src/cases.mjs';
import { renderChart } from './src/chart.mjs';
import { cliStartupGoals, measureCliStartup } from './src/cli-startup.mjs';
import { MiB, PATTERNS, prepareDataset } from './src/dataset.mjs';
import { runDevmapperCase, stopDevmapperGuest } from './src/devmapper.mjs';
import { evaluateGoals } from './src/goals.mjs';
import { LatencyProxy } from './src/latency-proxy.mjs';
import { idealPipeline, measureAmplification, measureLimits } from './src/limits.mjs';
import { describeMachine } from './src/machine.mjs';
import { parseOptions } from './src/options.mjs';
import { writeOutputs } from './src/outputs.mjs';
import { checkPrograms } from './src/preflight.mjs';
import { summariseCpuProfile } from './src/profile.mjs';
import { Progress } from './src/progress.mjs';
import { renderResults } from './src/report.mjs';
import { makeTlsCert, S3Server } from './src/s3-server.mjs';
import { runStandbySyncCases } from './src/standby-sync.mjs';
import { summarise } from './src/summary.mjs';
import { borg } from './src/tools/borg.mjs';
import { convoy, convoyEncrypted, encryptionCost, prepareConvoySources, profileConvoyFull } from './src/tools/convoy.mjs';
import { restic } from './src/tools/restic.mjs';

const TOOLS = { convoy, 'convoy-encrypted': convoyEncrypted, restic, borg };
const S3_STORES = ['s3', 's3-latency'];
const STORES_OF = { convoy: ['local', ...S3_STORES], 'convoy-encrypted': ['local', ...S3_STORES], restic: ['local', ...S3_STORES], borg: ['local'] };

const opts = parseOptions(process.argv.slice(2));
checkPrograms(opts.tools);
const benchDir = import.meta.dirname;
const cacheDir = path.join(benchDir, '.work');
mkdirSync(cacheDir, { recursive: true });
const workRoot = opts.quick ? mkdtempSync(path.join(tmpdir(), 'convoy-bench-')) : mkdtempSync(path.join(cacheDir, 'run-'));
const dataDir = opts.quick ? path.join(workRoot, 'data') : path.join(cacheDir, `data-${opts.sizeMiB}MiB`);
const outDir = opts.out ?? (opts.writeCommitted ? undefined : mkdtempSync(path.join(tmpdir(), 'convoy-bench-results-')));

const runs = [];
for (let rep = 1; rep <= opts.reps; rep++) {
  for (const tool of opts.tools) {
    for (const store of STORES_OF[tool].filter((s) => opts.stores.includes(s))) runs.push({ rep, tool, store });
  }
}
const progress = new Progress(runs.length * CASES.length);
const machine = describeMachine();
progress.note(
  `pnpm bench${opts.quick ? ' --quick' : ''}: ${opts.sizeMiB} MiB image, ${opts.reps} rep(s), tools ${opts.tools.join(', ')}, stores ${opts.stores.join(', ')}`,
);
progress.note(`machine: ${machine.cpu}, ${machine.cores} cores, load average at start ${machine.loadavgAtStart.map((l) => l.toFixed(2)).join(' ')}`);

let s3;
let proxy;
const cleanUp = async () => {
  stopDevmapperGuest();
  await proxy?.stop();
  await s3?.stop();
  if (!opts.keep) rmSync(workRoot, { recursive: true, force: true });
};
// Interrupted: the measured child gets the signal from the terminal too; leave nothing behind.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    progress.note(`${signal}: stopping s3rver and the latency proxy, removing ${workRoot}`);
    cleanUp().finally(() => process.exit(130));
  });
}
try {
  const dataset = prepareDataset(dataDir, opts.sizeMiB * MiB, (m) => progress.note(m));
  const restoreImage = CASES.at(-1).image;

  progress.note('machine limits: read, SHA-512, lz4 and write rates on one core');
  const limits = await measureLimits({ dataset, bundleDir: path.join(workRoot, 'bundle'), scratchDir: path.join(workRoot, 'limits'), restoreImage });
  const ideal = Object.fromEntries(Object.entries(limits.workloads).map(([name, w]) => [name, idealPipeline(w, limits.bytesPerSecond, machine.cores)]));
  progress.note(
    `limits: ${Object.entries(limits.bytesPerSecond)
      .map(([k, v]) => `${k} ${(v / 1e6).toFixed(0)} MB/s`)
      .join(', ')}`,
  );
  progress.note('block-size amplification: bytes each pattern would upload at 64 KiB to 2 MiB blocks');
  const amplification = await measureAmplification({ dataset, bundleDir: path.join(workRoot, 'bundle') });

  let convoyChild;
  let convoySources;
  if (opts.tools.some((t) => t.startsWith('convoy'))) {
    convoyChild = await bundleChild(path.join(benchDir, 'src/convoy-process.ts'), path.join(workRoot, 'bundle', 'convoy-process.mjs'));
    progress.note('Convoy: preparing one image source per change pattern (untimed copies of the images)');
    convoySources = await prepareConvoySources({ entry: convoyChild, dataset, dir: path.join(workRoot, 'convoy-sources'), patterns: PATTERNS });
  }

  if (runs.some((r) => S3_STORES.includes(r.store))) {
    const tls = await makeTlsCert(path.join(workRoot, 'tls'));
    s3 = await S3Server.start({ directory: path.join(workRoot, 's3'), bucket: 'bench', tls });
    progress.note(`s3rver on ${s3.httpsEndpoint}`);
  }
  if (runs.some((r) => r.store === 's3-latency')) {
    proxy = await LatencyProxy.start({ target: s3.httpsEndpoint, delayMs: opts.latencyMs });
    progress.note(`latency proxy on ${proxy.httpsEndpoint}: ${opts.latencyMs} ms each way in front of s3rver`);
  }
  const records = [];
  for (const { rep, tool: toolName, store } of runs) {
    const root = path.join(workRoot, `${toolName}-${store}`);
    rmSync(root, { recursive: true, force: true });
    if (s3) {
      rmSync(s3.bucketDir, { recursive: true, force: true });
      mkdirSync(s3.bucketDir, { recursive: true });
    }
    const storeS3 = store === 's3' ? s3 : store === 's3-latency' ? s3.via(proxy.httpsEndpoint) : undefined;
    const tool = TOOLS[toolName]({
      store,
      root,
      sourceDir: path.join(root, 'src'),
      dataset,
      s3: storeS3,
      entry: convoyChild,
      sources: convoySources,
      settings: opts.convoy,
    });
    const done = await runToolCases(tool, {
      dataset,
      sourceDir: path.join(root, 'src'),
      workDir: root,
      s3: storeS3,
      onStep: (record, counted) => progress.step(`${toolName} ${store} rep ${rep}/${opts.reps}: ${record.case}`, record, counted),
    });
    records.push(...done.map((r) => ({ ...r, rep })));
    rmSync(root, { recursive: true, force: true });
  }
  if (convoyChild) {
    progress.note("standby sync: a standby holding the base backup synced to each pattern's incremental, next to a full restore of it (local store)");
    const standby = await runStandbySyncCases({
      entry: convoyChild,
      sources: convoySources,
      dataset,
      dir: path.join(workRoot, 'standby'),
      patterns: PATTERNS,
      onStep: (record) => progress.step(`convoy local: ${record.case}`, record, false),
    });
    records.push(...standby.map((r) => ({ ...r, rep: 1 })));
  }
  const finishedLoadavg = loadavg();
  progress.note(`all cases done; load average now ${finishedLoadavg.map((l) => l.toFixed(2)).join(' ')}`);

  let profile;
  if (convoyChild) {
    progress.note("Convoy's full backup once more under node --cpu-prof (not counted)");
    const profileDir = await profileConvoyFull({ entry: convoyChild, sources: convoySources, dir: path.join(workRoot, 'profile'), settings: opts.convoy });
    profile = summariseCpuProfile(profileDir);
    progress.note(
      `profile: ${profile.byCategory
        .slice(0, 4)
        .map((c) => `${c.name} ${(c.share * 100).toFixed(0)} %`)
        .join('; ')}`,
    );
  }

  let devmapper;
  if (opts.devmapper && opts.tools.includes('convoy') && opts.tools.includes('restic')) {
    const dmData =
      opts.dmSizeMiB === opts.sizeMiB
        ? dataset
        : prepareDataset(opts.quick ? path.join(workRoot, 'dm-data') : path.join(cacheDir, `data-${opts.dmSizeMiB}MiB`), opts.dmSizeMiB * MiB, (m) =>
            progress.note(m),
          );
    progress.note(`device-mapper case: ${opts.dmSizeMiB} MiB in the dm-thin guest (scripts/dm-vm-run.sh)`);
    devmapper = await runDevmapperCase({
      dataset: dmData,
      bundleDir: path.join(workRoot, 'bundle'),
      workDir: path.join(workRoot, 'dm'),
      log: (line) => progress.note(line),
    });
    records.push(...devmapper.records.map((r) => ({ ...r, rep: 1 })));
  }

  let cliStartup;
  if (opts.tools.includes('convoy')) {
    progress.note('CLI start-up: convoy list (node dist/index.js and the release executable) against a running daemon, next to node -e 0');
    cliStartup = await measureCliStartup({ runs: opts.quick ? 9 : 31, log: (line) => progress.note(line) });
  }

  const summary = summarise(records);
  const goals = evaluateGoals(summary, ideal);
  if (cliStartup) goals.push(...cliStartupGoals(cliStartup));
  const { images, patterns, spec } = dataset;
  const devmapperSetup = devmapper && { sizeBytes: devmapper.sizeBytes, guestMemoryMiB: devmapper.guestMemoryMiB };
  const encryption = encryptionCost(summary);
  const results = {
    machine,
    finishedLoadavg,
    options: opts,
    dataset: { spec, images, patterns },
    limits: { ...limits, ideal },
    amplification,
    summary,
    goals,
    encryption,
    profile,
    devmapper: devmapperSetup,
    cliStartup,
    records,
  };
  const markdown = renderResults({
    machine,
    options: opts,
    dataset,
    summary,
    goals,
    limits,
    ideal,
    amplification,
    profile,
    devmapper: devmapperSetup,
    finishedLoadavg,
  });
  const svg = renderChart({ summary, ideal, title: `Convoy vs restic vs borg, ${opts.sizeMiB} MiB image (${machine.startedAt.slice(0, 10)})` });
  const written = writeOutputs({ committed: opts.writeCommitted, dir: outDir, results, markdown, svg });
  for (const g of goals)
    progress.note(
      `goal ${g.reached === undefined ? 'not measured' : g.reached ? 'reached' : 'NOT reached'}: ${g.goal} [${g.where}] ${g.ratioText} (${g.detail})`,
    );
  for (const e of encryption)
    progress.note(`encryption cost [${e.store}] ${e.case}: ${e.wallRatio.toFixed(2)}x wall, ${e.cpuRatio.toFixed(2)}x CPU of the unencrypted run`);
  progress.note(`wrote ${written.join(', ')}`);
} finally {
  await cleanUp();
  if (opts.keep) progress.note(`kept the work directory ${workRoot}`);
}
