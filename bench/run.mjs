// `pnpm bench`: Convoy, restic and borg backing up and restoring the same seeded volume image,
// in one process tree, each step a measured child process. See BENCHMARKS.md for the method.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { runToolCases } from './src/cases.mjs';
import { MiB, prepareDataset } from './src/dataset.mjs';
import { describeMachine } from './src/machine.mjs';
import { parseOptions } from './src/options.mjs';
import { Progress } from './src/progress.mjs';
import { makeTlsCert, S3Server } from './src/s3-server.mjs';
import { borg } from './src/tools/borg.mjs';
import { restic } from './src/tools/restic.mjs';

const TOOLS = { restic, borg };
const STORES_OF = { restic: ['local', 's3'], borg: ['local'] };
const STEPS_PER_RUN = 6; // init, full, three incrementals, restore

const opts = parseOptions(process.argv.slice(2));
const benchDir = import.meta.dirname;
const cacheDir = path.join(benchDir, '.work');
mkdirSync(cacheDir, { recursive: true });
const workRoot = opts.quick ? mkdtempSync(path.join(tmpdir(), 'convoy-bench-')) : mkdtempSync(path.join(cacheDir, 'run-'));
const dataDir = opts.quick ? path.join(workRoot, 'data') : path.join(cacheDir, `data-${opts.sizeMiB}MiB`);

const runs = [];
for (let rep = 1; rep <= opts.reps; rep++) {
  for (const tool of opts.tools) {
    for (const store of STORES_OF[tool].filter((s) => opts.stores.includes(s))) runs.push({ rep, tool, store });
  }
}
const progress = new Progress(runs.length * STEPS_PER_RUN);
const machine = describeMachine();
progress.note(`pnpm bench${opts.quick ? ' --quick' : ''}: ${opts.sizeMiB} MiB image, ${opts.reps} rep(s), tools ${opts.tools.join(', ')}, stores ${opts.stores.join(', ')}`);
progress.note(`machine: ${machine.cpu}, ${machine.cores} cores, load average at start ${machine.loadavgAtStart.map((l) => l.toFixed(2)).join(' ')}`);

let s3;
try {
  const dataset = prepareDataset(dataDir, opts.sizeMiB * MiB, (m) => progress.note(m));
  if (runs.some((r) => r.store === 's3')) {
    const tls = await makeTlsCert(path.join(workRoot, 'tls'));
    s3 = await S3Server.start({ directory: path.join(workRoot, 's3'), bucket: 'bench', tls });
    progress.note(`s3rver on ${s3.httpsEndpoint} (https) and ${s3.httpEndpoint} (http)`);
  }
  const records = [];
  for (const { rep, tool: toolName, store } of runs) {
    const root = path.join(workRoot, `${toolName}-${store}`);
    rmSync(root, { recursive: true, force: true });
    if (s3) {
      rmSync(s3.bucketDir, { recursive: true, force: true });
      mkdirSync(s3.bucketDir, { recursive: true });
    }
    const tool = TOOLS[toolName]({ root, sourceDir: path.join(root, 'src'), dataset, s3: store === 's3' ? s3 : undefined });
    const label = (c) => `${toolName} ${store} rep ${rep}/${opts.reps}: ${c}`;
    const done = await runToolCases(tool, {
      dataset,
      sourceDir: path.join(root, 'src'),
      workDir: root,
      s3: store === 's3' ? s3 : undefined,
      onStep: (record) => progress.step(label(record.case), record),
    });
    records.push(...done.map((r) => ({ ...r, rep })));
    rmSync(root, { recursive: true, force: true });
  }
  progress.note(`done; load average now ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
} finally {
  await s3?.stop();
  if (!opts.keep) rmSync(workRoot, { recursive: true, force: true });
  else progress.note(`kept the work directory ${workRoot}`);
}
