// `verify --deep` cancelled while it reads an archive stops with the cancellation: the archive's
// read takes the operation's signal, and the cancellation is never reported as a corrupt archive.
import { ConvoyError, forwardStore } from '@convoy/core';
import { tempDir } from '@convoy/core/testing';
import { describe, expect, it } from 'vitest';
import { backupSnapshot, makeSingleFileEnv, makeSnapshot } from '../../test/single-file-env.js';
import { createBackupEngine } from './engine.js';

const engine = createBackupEngine();
const scratch = await tempDir('convoy-verify-cancel-');

describe('verify --deep, cancelled', () => {
  it('while an archive is being read rejects with the cancellation, not a corrupt-archive report', async () => {
    const env = await makeSingleFileEnv(scratch);
    await makeSnapshot(env, 'snap1', 300 * 1024);
    await backupSnapshot(engine, env, 'snap1', 'lz4');
    const cancel = new AbortController();
    const reason = new ConvoyError('CANCELLED', 'cancelled: the client closed its connection');
    // The injected fault: the client goes away as soon as the archive's download has begun.
    const store = forwardStore(env.store, {
      getStream: async (key, opts) => {
        const body = await env.store.getStream(key, opts);
        cancel.abort(reason);
        return body;
      },
    });
    await expect(engine.verify({ store, destUrl: env.destUrl, owner: 'verifier', deep: true, signal: cancel.signal })).rejects.toBe(reason);
    // Nothing is left held: a verify without a signal runs at once and finds the archive sound.
    expect(await engine.verify({ store: env.store, destUrl: env.destUrl, owner: 'verifier', deep: true })).toMatchObject({ ok: true, archivesRead: 1 });
  });
});
