import { CASES } from './cases.mjs';
import { PATTERNS } from './dataset.mjs';
import { find } from './summary.mjs';

export const BEGIN = '<!-- bench:results:begin (written by `pnpm bench`; edit outside these markers) -->';
export const END = '<!-- bench:results:end -->';

const MiB = 2 ** 20;
const f2 = (x) => (x === undefined ? '–' : x.toFixed(2));
const mb = (x) => (x === undefined ? '–' : (x / 1e6).toFixed(1));
const rate = (x) => `${(x / 1e6).toFixed(0)} MB/s`;
const TOOLS = ['convoy', 'restic', 'borg'];
const caseTitle = (name) => CASES.find((c) => c.name === name)?.title ?? name;
/** Stores whose requests and wire bytes s3rver counts. */
const S3_STORES = ['s3', 's3-latency'];

function table(header, rows) {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function resultsTable(summary, store) {
  const peers = TOOLS.filter((t) => t !== 'convoy' && summary.some((r) => r.tool === t && r.store === store));
  const rows = [];
  for (const c of [{ name: 'init' }, ...CASES]) {
    for (const tool of TOOLS) {
      const r = find(summary, tool, store, c.name);
      if (!r) continue;
      const convoy = tool === 'convoy' ? r : undefined;
      const ratios = peers.map((peer) => {
        const p = find(summary, peer, store, c.name);
        if (!convoy || !p || c.name === 'init') return '';
        const mine = c.name === 'restore' ? convoy.durableSeconds : convoy.wallSeconds.median;
        const theirs = c.name === 'restore' ? p.durableSeconds : p.wallSeconds.median;
        const bytes = c.name === 'restore' ? '' : ` / ${f2(convoy.storeBytesAdded / p.storeBytesAdded)}`;
        return `${f2(mine / theirs)}${bytes}`;
      });
      rows.push([
        c.name === 'init' ? 'init' : caseTitle(c.name),
        tool,
        `${f2(r.wallSeconds.median)} (${f2(r.wallSeconds.min)}–${f2(r.wallSeconds.max)})`,
        r.operationSeconds === undefined ? '' : f2(r.operationSeconds),
        c.name === 'restore' ? `${f2(r.fsyncSeconds)} → ${f2(r.durableSeconds)}` : '',
        `${f2(r.cpuSeconds)} (${f2(r.userSeconds)} + ${f2(r.sysSeconds)})`,
        (r.maxRssBytes / MiB).toFixed(0),
        mb(r.storeBytesAdded),
        String(r.storeObjectsAdded),
        ...(S3_STORES.includes(store)
          ? [
              r.requests === undefined ? '–' : `${r.requests}${r.clientRequests !== undefined ? ` (${r.clientRequests})` : ''}`,
              r.wireBytesReceived === undefined ? '–' : `${mb(r.wireBytesReceived)} / ${mb(r.wireBytesSent)}`,
            ]
          : []),
        ...ratios,
      ]);
    }
  }
  const header = [
    'case',
    'tool',
    'wall s, median (min–max)',
    'of which the engine s',
    'restore: + fsync s → durable s',
    'CPU s (user + sys)',
    'peak RSS MiB',
    'store + MB',
    'objects +',
    ...(S3_STORES.includes(store) ? ['requests at the server (client count)', 'MB on the wire, up / down'] : []),
    ...peers.map((p) => `Convoy ÷ ${p}: time / bytes`),
  ];
  return table(header, rows);
}

function limitsSection(limits, ideal, summary, cores) {
  const r = limits.bytesPerSecond;
  const rates = table(
    ['stage (one core)', 'rate'],
    [
      ['read the image (page cache, 2 MiB reads into one buffer)', rate(r.read)],
      ["SHA-512 block checksum (the engine's `blockChecksum`)", rate(r.sha512)],
      ["lz4 compress, C (`lz4 -b1 -B2097152`): the machine's limit, used by the ideal", rate(r.lz4Compress)],
      ['lz4 decompress, C', rate(r.lz4Decompress)],
      ["lz4 frame compress through the engine's `compressBlock` (lz4-napi), for comparison", rate(r.codecCompress)],
      ['lz4 frame decompress through `decompressBlock`, for comparison', rate(r.codecDecompress)],
      ['zstd (level 3) compress through `compressBlock` (@mongodb-js/zstd), for comparison', rate(r.zstdCompress)],
      ['zstd decompress through `decompressBlock`, for comparison', rate(r.zstdDecompress)],
      ['block files: temp, write, fsync, rename, fsync dir (stored bytes)', rate(r.blockFileWrite)],
      ['image write: new file, 2 MiB writes, fsync', rate(r.imageWrite)],
    ],
  );
  const rows = Object.entries(ideal).map(([caseName, i]) => {
    const w = limits.workloads[caseName];
    const c = find(summary, 'convoy', 'local', caseName);
    const measured = c && (caseName === 'restore' ? c.durableSeconds : c.wallSeconds.median);
    return [
      caseTitle(caseName),
      mb(w.read),
      mb(w.hashed),
      mb(w.compressed + w.decompressed),
      mb(w.stored + w.written),
      f2(i.oneCoreSeconds),
      f2(i.seconds),
      measured === undefined ? '–' : `${f2(measured)} (${f2(measured / i.seconds)}×)`,
    ];
  });
  const idealTable = table(
    ['case', 'read MB', 'hashed MB', '(de)compressed MB', 'written MB', 'Σ one core s', `ideal s on ${cores} cores`, 'Convoy local s (× ideal)'],
    rows,
  );
  return `${rates}\n\nIdeal pipeline (baselines.md §5): Σ of the stage times on one core, spread over ${cores} cores, never below the write time.\n\n${idealTable}`;
}

function profileSection(profile) {
  const pct = (share) => `${(share * 100).toFixed(1)} %`;
  return [
    `A separate full backup under \`node --cpu-prof\`: ${f2(profile.seconds)} s profiled, in ${profile.threads} thread(s) (the main thread and the block workers; ${f2(profile.threadSeconds)} thread-seconds, the base of the shares; work on the libuv pool shows as idle).`,
    '',
    table(
      ["where the threads' time goes", 's', 'share'],
      profile.byCategory.map((c) => [c.name, f2(c.seconds), pct(c.share)]),
    ),
    '',
    table(
      ['function (self time)', 's', 'share'],
      profile.topFunctions.map((c) => [`\`${c.name}\``, f2(c.seconds), pct(c.share)]),
    ),
  ].join('\n');
}

function amplificationSection(amplification, summary) {
  const resticBytes = (pattern) => find(summary, 'restic', 'local', `incr-${pattern}`)?.storeBytesAdded;
  const rows = amplification.map((a) => {
    const restic = resticBytes(a.pattern);
    return [
      `${a.pattern}: ${PATTERNS.find((p) => p.name === a.pattern).title}`,
      a.blockSize >= MiB ? `${a.blockSize / MiB} MiB` : `${a.blockSize / 1024} KiB`,
      String(a.touchedBlocks),
      mb(a.rawBytes),
      mb(a.storedBytes),
      restic === undefined ? '–' : f2(a.storedBytes / restic),
      String(a.fullBackupObjects),
    ];
  });
  return table(['pattern', 'block size', 'touched blocks', 'raw MB', 'lz4 stored MB', '÷ restic (local, this run)', 'objects in a full backup'], rows);
}

/** The generated part of BENCHMARKS.md: setup, tables, goals, limits, profile. */
export function renderResults({ machine, options, dataset, summary, goals, limits, ideal, amplification, profile, devmapper, finishedLoadavg }) {
  const hostLoads = summary.filter((r) => r.store !== 'devmapper').flatMap((r) => [r.loadavg1AtStart.min, r.loadavg1AtStart.max]);
  const stores = ['local', ...S3_STORES, 'devmapper'].filter((s) => summary.some((r) => r.store === s));
  const heading = {
    local: 'Local directory store',
    s3: 'S3: one s3rver on 127.0.0.1, both tools over https',
    's3-latency': `S3 with ${options.latencyMs} ms latency each way: the same s3rver behind the bench's proxy (a remote S3)\n\nThe proxy (\`bench/src/latency-proxy-process.mjs\`, its own process on 127.0.0.1) holds every chunk ${options.latencyMs} ms before passing it on, in each direction, so every request and response pays a ${2 * options.latencyMs} ms round trip; it forwards the TLS bytes as they are. s3rver counts the requests and the bytes on the wire (TLS included) at its sockets, for both tools.`,
    devmapper: `Device-mapper, in the dm-thin guest\n\n${
      devmapper
        ? `scripts/dm-vm-run.sh boots user-mode Linux (1 CPU, ${devmapper.guestMemoryMiB} MiB; its tmpfs holds the pool's loop files and the stores) with a ${devmapper.sizeBytes / MiB} MiB image. Convoy's devmapper driver lists changes with thin_delta and reads only those from the snapshot device; restic reads the whole thin device (\`--stdin\`). Each pattern gets a fresh volume and its own full backup, so the full backup has three samples. Both restore onto a new thin volume, durably, verified by hash. "Of which the engine" excludes Node's start and the driver's start-up (pool checks, recovery), which a running daemon has already paid.`
        : ''
    }`,
  };
  const patterns = table(
    ['pattern', 'writes', 'bytes written', 'changed 2 MiB blocks (CBT extents given to Convoy)'],
    PATTERNS.map((p) => {
      const d = dataset.patterns[p.name];
      return [`${p.name}: ${p.title}`, String(d.writes.length), d.bytesWritten.toLocaleString('en-US'), String(d.changedBlocks)];
    }),
  );
  const goalRows = goals.map((g) => [
    g.goal,
    g.where,
    g.reached === undefined ? '**not measured**' : g.reached ? '**reached**' : '**not reached**',
    g.ratioText,
    g.detail,
  ]);
  const lines = [
    BEGIN,
    '',
    `Measured ${machine.startedAt.slice(0, 16).replace('T', ' ')} UTC on ${machine.cpu} (${machine.cores} cores, ${(machine.memoryBytes / 2 ** 30).toFixed(0)} GiB), kernel ${machine.kernel}, Node ${machine.node}, ${machine.restic}, ${machine.borg}.`,
    `Load average at start ${machine.loadavgAtStart.map(f2).join(' ')}, at the end ${finishedLoadavg.map(f2).join(' ')}; the 1-minute load at the start of the host's steps ranged ${f2(Math.min(...hostLoads))}–${f2(Math.max(...hostLoads))} (the bench's own steps use both cores; anything else running shows here). Image ${options.sizeMiB} MiB, ${options.reps} repetition(s); figures are medians, peak RSS the worst repetition.`,
    `Convoy ran with compression ${options.convoy?.compression ?? "zstd (the engine's default)"} and ${options.convoy?.blockSize ? `${options.convoy.blockSize / 1024} KiB blocks (\`--block-size\`)` : "2 MiB blocks (the engine's default)"}, ${options.convoy?.layout ? `layout ${options.convoy.layout} (\`--layout\`)` : "the engine's default layout"} on the host; the device-mapper guest uses the defaults.`,
    `Dataset sha256: base \`${dataset.images.base.sha256.slice(0, 16)}…\`, ${PATTERNS.map((p) => `${p.name} \`${dataset.images[p.name].sha256.slice(0, 16)}…\``).join(', ')}.`,
    '',
    patterns,
    '',
    ...stores.flatMap((store) => [`### ${heading[store]}`, '', resultsTable(summary, store), '']),
    '### Goals of issue 18',
    '',
    'Each goal as reached or not. The ratio is Convoy ÷ the peer for times and bytes (the bound is in the goal), and the measured figure ÷ the bound for requests and peak RSS; the S3 goals hold for both S3 cases.',
    '',
    goals.length ? table(['goal', 'store', 'result', 'ratio', 'figures'], goalRows) : '_Convoy was not part of this run._',
    '',
    '### Machine limits in the same run, and the ideal pipeline',
    '',
    limits ? limitsSection(limits, ideal, summary, machine.cores) : '_not measured in this run._',
    '',
    ...(amplification ? ['### Block size against a 5 % change (what each block size would upload)', '', amplificationSection(amplification, summary), ''] : []),
    ...(profile ? ["### Where Convoy's full backup spends its time", '', profileSection(profile), ''] : []),
    END,
  ];
  return lines.join('\n');
}
