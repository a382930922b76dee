// The daemon's log and a CLI's stderr carry what a user can act on. The SDK's one-time notice that
// its releases after January 2027 need Node 22 is not that: Convoy pins the SDK in its lockfile,
// and the release executable carries its own Node. Each test file runs in a fresh module state,
// so the SDK has not printed it yet when this one opens a store.
import { afterEach, describe, expect, it } from 'vitest';
import { parseS3Settings } from './s3-options.js';
import { S3ObjectStore } from './s3-store.js';
import { parseS3Url } from './s3-url.js';

describe('the S3 store and the SDK notices', () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
  afterEach(() => {
    process.off('warning', onWarning);
  });

  it('opens a client without the SDK printing its Node version notice, and leaves the process settings as they were', async () => {
    const before = process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'];
    process.on('warning', onWarning);
    const store = new S3ObjectStore(parseS3Url(new URL('s3://bucket@us-east-1/prefix')), parseS3Settings({}), 'http://127.0.0.1:9');
    await store.close();
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.filter((w) => /NodeVersionSupportWarning|require node/.test(w))).toEqual([]);
    expect(process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED']).toBe(before);
  });
});
