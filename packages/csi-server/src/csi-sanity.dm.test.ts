import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNeeding } from '../../../test-support/gate.js';
import { startTestDaemon, type RunningDaemon } from '../../../test-support/cli.js';
import { runCsiSanity, type SanityResult } from '../../../test-support/csi-sanity.js';
import { CAPABILITY_SKIPS } from '../../../test-support/csi-requirements.js';
import { csiSanityBinary } from '../../../test-support/peers.js';
import { deviceMapper, MiB, testPool, type TestPool } from '../../driver-devmapper/src/dm-test-kit.js';

/**
 * csi-sanity against `convoy daemon --csi-socket` with the devicemapper driver in a real dm-thin
 * kernel: once with the Mount access type (ext4 made by the driver), once with Block.
 */
describeNeeding(deviceMapper, 'csi-sanity against convoy daemon --csi-socket with the devicemapper driver', () => {
  let pool: TestPool;
  let dir: string;
  let daemon: RunningDaemon;
  let socket: string;

  beforeAll(async () => {
    pool = await testPool({ dataBytes: 2048 * MiB });
    dir = await mkdtemp('/tmp/convoy-csi-dm-');
    await mkdir(path.join(dir, 'kubelet', 'pods'), { recursive: true });
    await mkdir(path.join(dir, 'kubelet', 'plugins'), { recursive: true });
    socket = path.join(dir, 'csi.sock');
    daemon = await startTestDaemon(dir, {
      drivers: ['devicemapper'],
      driverOptions: pool.options,
      csi: { socketPath: socket, nodeId: 'dm-node', backupTargets: [], kubeletDir: path.join(dir, 'kubelet') },
    });
  });
  afterAll(async () => {
    await daemon?.stop();
    await pool?.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  const sanity = async (accessType: 'mount' | 'block'): Promise<SanityResult> => {
    const kubelet = path.join(dir, 'kubelet');
    const result = await runCsiSanity({
      binary: csiSanityBinary(),
      socketPath: socket,
      mountDir: path.join(kubelet, 'pods', `target-${accessType}`),
      stagingDir: path.join(kubelet, 'plugins', `staging-${accessType}`),
      reportDir: dir,
      args: [`--csi.testvolumeaccesstype=${accessType}`, `--csi.testvolumesize=${64 * MiB}`, `--csi.testvolumeexpandsize=${128 * MiB}`],
    });
    console.log(`csi-sanity (devicemapper, ${accessType}): ${result.passed.length} passed, ${result.skipped.length} skipped, ${result.failed.length} failed, ${result.pending.length} disabled in csi-sanity itself`);
    for (const skip of result.skipped) console.log(`  skipped: ${skip.name} — ${skip.message}`);
    for (const name of result.pending) console.log(`  disabled upstream: ${name}`);
    return result;
  };

  const expectClean = (result: SanityResult): void => {
    expect(result.failed.map((f) => `${f.name}: ${f.message.split('\n').slice(0, 6).join(' ')}`)).toEqual([]);
    expect(result.skipped.filter((s) => !CAPABILITY_SKIPS.some((re) => re.test(s.message)))).toEqual([]);
    expect(result.passed.length).toBeGreaterThan(50);
    expect(result.exitCode).toBe(0);
  };

  it('passes every spec with the Mount access type', async () => expectClean(await sanity('mount')), 1_200_000);
  it('passes every spec with the Block access type', async () => expectClean(await sanity('block')), 1_200_000);
});
