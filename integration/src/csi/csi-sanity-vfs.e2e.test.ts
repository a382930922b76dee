import path from 'node:path';
import { type RunningDaemon, startTestDaemon } from '@convoy/cli/testing';
import { csiSanityRequirement, expectOnlyCapabilitySkips, runCsiSanity } from '@convoy/test-support/csi-sanity';
import { describeNeeding } from '@convoy/test-support/gate';
import { tempDir } from '@convoy/test-support/tmp';
import { afterAll, beforeAll, it } from 'vitest';

describeNeeding(csiSanityRequirement, 'csi-sanity against convoy daemon --csi-socket with the vfs driver', () => {
  let dir: string;
  let daemon: RunningDaemon;

  beforeAll(async () => {
    dir = await tempDir('convoy-csi-sanity-');
    daemon = await startTestDaemon(dir, {
      csi: { socketPath: path.join(dir, 'csi.sock'), nodeId: 'sanity-node', backupTargets: [], kubeletDir: path.join(dir, 'kubelet') },
    });
  });
  afterAll(() => daemon?.stop());

  it('passes every spec csi-sanity runs; each skip is a capability the plugin does not advertise', async () => {
    const result = await runCsiSanity({ socketPath: path.join(dir, 'csi.sock'), kubeletDir: path.join(dir, 'kubelet'), reportDir: dir });
    expectOnlyCapabilitySkips('vfs', result);
  }, 600_000);
});
