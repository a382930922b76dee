import { parseArgs } from 'node:util';

const ALL_TOOLS = ['convoy', 'convoy-encrypted', 'restic', 'borg'];
const ALL_STORES = ['local', 's3', 's3-latency'];

const USAGE = `usage: pnpm bench [--quick] [--size MiB] [--reps N] [--tools convoy,convoy-encrypted,restic,borg]
                  [--stores local,s3,s3-latency] [--latency-ms MS] [--no-devmapper] [--dm-size MiB]
                  [--out DIR] [--keep] [--block-size KiB] [--compression METHOD] [--layout NAME]
  --quick          every case at 32 MiB, once, results into a temp dir (what CI runs)
  --size MiB       image size (a multiple of 16; default 1024)
  --reps N         repetitions; figures are medians (default 3, --quick 1)
  --tools, --stores  run a subset (results then go to a temp dir unless --out is given);
                   s3-latency is the same s3rver behind a proxy on 127.0.0.1 that delays
                   every byte --latency-ms each way (a remote S3), for Convoy and restic
  --latency-ms MS  the s3-latency case's delay each way (default 20; 1 to 1000)
  --no-devmapper   skip the device-mapper guest case
  --dm-size MiB    image size in the device-mapper guest (default 256, --quick 32)
  --out DIR        where BENCHMARKS.md's results, results.json and chart.svg go
  --keep           keep the work directory (stores, restore targets) for inspection
  --block-size KiB Convoy's per-volume block size (64 to 2048, a power of two; default the
                   engine's, 2048); the device-mapper guest keeps the default
  --compression M  Convoy's compression (lz4, zstd, gzip, none; default the engine's)
  --layout NAME    Convoy's store layout for new volumes, passed to the engine as \`layout\`
                   (e.g. convoy-v0.5; default: none passed, so the engine's default)
CLI start-up step alone: node bench/cli-startup.mjs [runs] (after pnpm build; pnpm release too
                   for the release executable's row)`;

/** The bench's command line. Only a complete, default-sized run writes the committed files. */
export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      size: { type: 'string' },
      reps: { type: 'string' },
      tools: { type: 'string' },
      stores: { type: 'string' },
      'no-devmapper': { type: 'boolean', default: false },
      'dm-size': { type: 'string' },
      out: { type: 'string' },
      keep: { type: 'boolean', default: false },
      'block-size': { type: 'string' },
      compression: { type: 'string' },
      layout: { type: 'string' },
      'latency-ms': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const list = (value, all, what) => {
    if (value === undefined) return all;
    const picked = value.split(',').map((s) => s.trim());
    const unknown = picked.filter((p) => !all.includes(p));
    if (unknown.length) throw new Error(`unknown ${what}: ${unknown.join(', ')} (known: ${all.join(', ')})\n${USAGE}`);
    return picked;
  };
  const positive = (value, fallback, what) => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${what} must be a positive integer, got "${value}"\n${USAGE}`);
    return n;
  };
  const tools = list(values.tools, ALL_TOOLS, 'tool');
  const stores = list(values.stores, ALL_STORES, 'store');
  const sizeMiB = positive(values.size, values.quick ? 32 : 1024, '--size');
  const reps = positive(values.reps, values.quick ? 1 : 3, '--reps');
  const dmSizeMiB = positive(values['dm-size'], values.quick ? 32 : 256, '--dm-size');
  const latencyMs = positive(values['latency-ms'], 20, '--latency-ms');
  if (latencyMs > 1000) throw new Error(`--latency-ms must be at most 1000, got ${latencyMs}\n${USAGE}`);
  if (values.layout !== undefined && !/^[a-z0-9][a-z0-9.-]{0,31}$/.test(values.layout))
    throw new Error(`--layout must be a layout's name (lower case, digits, . and -), got "${values.layout}"\n${USAGE}`);
  const blockKiB = values['block-size'] === undefined ? undefined : positive(values['block-size'], undefined, '--block-size');
  if (blockKiB !== undefined && (blockKiB < 64 || blockKiB > 2048 || (blockKiB & (blockKiB - 1)) !== 0))
    throw new Error(`--block-size must be a power of two from 64 to 2048 KiB\n${USAGE}`);
  const complete =
    !values.quick &&
    tools.length === ALL_TOOLS.length &&
    stores.length === ALL_STORES.length &&
    !values['no-devmapper'] &&
    sizeMiB === 1024 &&
    dmSizeMiB === 256 &&
    latencyMs === 20;
  return {
    quick: values.quick,
    sizeMiB,
    reps,
    tools,
    stores,
    devmapper: !values['no-devmapper'],
    dmSizeMiB,
    latencyMs,
    out: values.out,
    writeCommitted: values.out === undefined && complete,
    keep: values.keep,
    convoy: {
      ...(blockKiB ? { blockSize: blockKiB * 1024 } : {}),
      ...(values.compression ? { compression: values.compression } : {}),
      ...(values.layout ? { layout: values.layout } : {}),
    },
  };
}
