import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, it } from 'vitest';
import { describeNeeding } from '../../../test-support/gate.js';
import { startTestDaemon, type RunningDaemon } from '../../../test-support/cli.js';
import { csiSanityRequirement, expectOnlyCapabilitySkips, runCsiSanity } from '../../../test-support/csi-sanity.js';
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
    expectOnlyCapabilitySkips('vfs', result);
  }, 600_000);
});
