import { spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { csiSanityBinary, goRequirement } from './peers.js';

export interface SanitySpec {
  name: string;
  /** Why it was skipped, or why it failed. */
  message: string;
}

export interface SanityResult {
  exitCode: number | null;
  passed: string[];
  skipped: SanitySpec[];
  /** Specs csi-sanity itself disables (`XIt`), never run against any plugin. */
  pending: string[];
  failed: SanitySpec[];
  output: string;
}

interface GinkgoSpecReport {
  ContainerHierarchyTexts: string[] | null;
  LeafNodeText: string;
  State: string;
  Failure?: { Message: string };
}

/**
 * Runs csi-sanity (kubernetes-csi/csi-test) against a CSI socket and reads its Ginkgo JSON
 * report, so a test can assert on every spec: which passed, which were skipped and why.
 */
export async function runCsiSanity(opts: {
  socketPath: string;
  /** The daemon's --csi-kubelet-dir: csi-sanity's mount and staging directories go under it. */
  kubeletDir: string;
  reportDir: string;
  args?: string[];
}): Promise<SanityResult> {
  const report = path.join(opts.reportDir, 'csi-sanity-report.json');
  // csi-sanity creates its mount and staging directories, but not their parents.
  await mkdir(path.join(opts.kubeletDir, 'pods'), { recursive: true });
  await mkdir(path.join(opts.kubeletDir, 'plugins'), { recursive: true });
  const args = [
    `--csi.endpoint=unix://${opts.socketPath}`,
    `--csi.mountdir=${path.join(opts.kubeletDir, 'pods', 'target')}`,
    `--csi.stagingdir=${path.join(opts.kubeletDir, 'plugins', 'staging')}`,
    `--ginkgo.json-report=${report}`,
    '--ginkgo.no-color',
    ...(opts.args ?? []),
  ];
  const child = spawn(csiSanityBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const suites = JSON.parse(await readFile(report, 'utf8')) as Array<{ SpecReports: GinkgoSpecReport[] | null }>;
  const result: SanityResult = { exitCode, passed: [], skipped: [], pending: [], failed: [], output };
  for (const spec of suites.flatMap((s) => s.SpecReports ?? [])) {
    if (spec.LeafNodeText === '') continue; // suite-level setup nodes
    const name = [...(spec.ContainerHierarchyTexts ?? []), spec.LeafNodeText].join(' / ');
    const message = spec.Failure?.Message ?? '';
    if (spec.State === 'passed') result.passed.push(name);
    else if (spec.State === 'pending') result.pending.push(name);
    else if (spec.State === 'skipped') result.skipped.push({ name, message });
    else result.failed.push({ name, message: `${spec.State}: ${message}` });
  }
  return result;
}

/** csi-sanity mounts: it needs root, and Go to build it from third_party/peers. */
export const csiSanityRequirement = {
  available: goRequirement.available && process.getuid?.() === 0,
  name: 'root and the Go toolchain (csi-sanity mounts volumes and is built from third_party/peers)',
  install: `run as root; ${goRequirement.install}`,
};

/**
 * Skips csi-sanity may make on its own: each only because the plugin does not advertise the
 * capability the spec needs. Any other skip is a failure.
 */
export const CAPABILITY_SKIPS: readonly RegExp[] = [
  /^ControllerPublishVolume not supported$/, // PUBLISH_UNPUBLISH_VOLUME: nothing to attach
  /^ControllerUnpublishVolume not supported$/,
  /^Controller Publish, UnpublishVolume not supported$/,
  /^ControllerModifyVolume not supported$/, // MODIFY_VOLUME (alpha VolumeAttributesClass)
  /^Modify [vV]olume not supported$/,
  /^GroupControllerService not supported$/, // volume group snapshots
];

/**
 * Prints the counts and every skip (the test output names each one), then demands that nothing
 * failed and that every skip is one of CAPABILITY_SKIPS.
 */
export function expectOnlyCapabilitySkips(label: string, result: SanityResult): void {
  console.log(
    `csi-sanity (${label}): ${result.passed.length} passed, ${result.skipped.length} skipped, ${result.failed.length} failed, ${result.pending.length} disabled in csi-sanity itself`,
  );
  for (const skip of result.skipped) console.log(`  skipped: ${skip.name} — ${skip.message}`);
  for (const name of result.pending) console.log(`  disabled upstream: ${name}`);
  expect(result.failed.map((f) => `${f.name}: ${f.message.split('\n').slice(0, 6).join(' ')}`)).toEqual([]);
  expect(result.skipped.filter((s) => !CAPABILITY_SKIPS.some((re) => re.test(s.message)))).toEqual([]);
  expect(result.passed.length).toBeGreaterThan(50);
  expect(result.exitCode).toBe(0);
}
