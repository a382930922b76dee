import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNeeding } from '../../../test-support/gate.js';
import { startTestDaemon, type RunningDaemon } from '../../../test-support/cli.js';
import { runCsiSanity } from '../../../test-support/csi-sanity.js';
import { csiSanityRequirement, CAPABILITY_SKIPS } from '../../../test-support/csi-requirements.js';
import { csiSanityBinary } from '../../../test-support/peers.js';
import { tempDir } from '../../../test-support/tmp.js';

describeNeeding(csiSanityRequirement, 'csi-sanity against convoy daemon --csi-socket with the vfs driver', () => {
  let dir: string;
  let daemon: RunningDaemon;
  let socket: string;

  beforeAll(async () => {
    dir = await tempDir('convoy-csi-sanity-');
    const kubelet = path.join(dir, 'kubelet');
    // csi-sanity creates the mount and staging directories, but not their parents.
    await mkdir(path.join(kubelet, 'pods'), { recursive: true });
    await mkdir(path.join(kubelet, 'plugins'), { recursive: true });
    socket = path.join(dir, 'csi.sock');
    daemon = await startTestDaemon(dir, { csi: { socketPath: socket, nodeId: 'sanity-node', backupTargets: [], kubeletDir: kubelet } });
  });
  afterAll(() => daemon?.stop());

  it('passes every spec csi-sanity runs; each skip is a capability the plugin does not advertise', async () => {
    const kubelet = path.join(dir, 'kubelet');
    const result = await runCsiSanity({
      binary: csiSanityBinary(),
      socketPath: socket,
      mountDir: path.join(kubelet, 'pods', 'target'),
      stagingDir: path.join(kubelet, 'plugins', 'staging'),
      reportDir: dir,
    });
    console.log(`csi-sanity (vfs): ${result.passed.length} passed, ${result.skipped.length} skipped, ${result.failed.length} failed, ${result.pending.length} disabled in csi-sanity itself`);
    for (const skip of result.skipped) console.log(`  skipped: ${skip.name} — ${skip.message}`);
    for (const name of result.pending) console.log(`  disabled upstream: ${name}`);
    expect(result.failed.map((f) => `${f.name}: ${f.message.split('\n').slice(0, 6).join(' ')}`)).toEqual([]);
    expect(result.skipped.filter((s) => !CAPABILITY_SKIPS.some((re) => re.test(s.message)))).toEqual([]);
    expect(result.passed.length).toBeGreaterThan(50);
    expect(result.exitCode).toBe(0);
  }, 600_000);
});
