// The CSI handler tables are typed from the generated service types: a missing or misspelt RPC,
// or a handler answering the wrong shape, fails to compile (root `pnpm typecheck` checks the
// expect-error lines below), and the generated files match the vendored csi.proto.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { IdentityHandlers } from './generated/csi/v1/Identity.js';
import { type HandlerTable, NOT_IMPLEMENTED } from './handler-table.js';

const probe = async () => ({ ready: { value: true } });
const info = async () => ({ name: 'convoy.rancher.io', vendor_version: '1' });
const capabilities = async () => ({ capabilities: [{ service: { type: 'CONTROLLER_SERVICE' as const } }] });

describe('CSI handler tables', () => {
  it('take every RPC by name, and refuse a missing, misspelt or mistyped one at compile time', () => {
    const full: HandlerTable<IdentityHandlers> = { GetPluginInfo: info, GetPluginCapabilities: capabilities, Probe: NOT_IMPLEMENTED };
    // @ts-expect-error Probe is missing
    const missing: HandlerTable<IdentityHandlers> = { GetPluginInfo: info, GetPluginCapabilities: capabilities };
    // @ts-expect-error Prob is not an RPC of Identity
    const misspelt: HandlerTable<IdentityHandlers> = { GetPluginInfo: info, GetPluginCapabilities: capabilities, Probe: probe, Prob: probe };
    // @ts-expect-error GetPluginInfo answers a name string, not a number
    const mistyped: HandlerTable<IdentityHandlers> = { GetPluginInfo: async () => ({ name: 7 }), GetPluginCapabilities: capabilities, Probe: probe };
    expect(Object.keys(full).sort()).toEqual(['GetPluginCapabilities', 'GetPluginInfo', 'Probe']);
    expect([missing, misspelt, mistyped]).toHaveLength(3);
  });

  it('src/generated is what proto-loader-gen-types makes of the vendored csi.proto (pnpm generate)', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'convoy-csi-gen-'));
    try {
      const pkg = JSON.parse(await readFile(path.join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { scripts: { generate: string } };
      const args = pkg.scripts.generate
        .split(' ')
        .slice(1)
        .map((a) => (a === '--outDir=src/generated' ? `--outDir=${out}` : a));
      const bin = path.join(import.meta.dirname, '..', 'node_modules', '.bin', 'proto-loader-gen-types');
      await promisify(execFile)(bin, args, { cwd: path.join(import.meta.dirname, '..') });
      const committed = path.join(import.meta.dirname, 'generated');
      const files = (await readdir(committed, { recursive: true })).filter((f) => f.endsWith('.ts')).sort();
      expect((await readdir(out, { recursive: true })).filter((f) => f.endsWith('.ts')).sort()).toEqual(files);
      for (const file of files) expect(await readFile(path.join(out, file), 'utf8'), file).toBe(await readFile(path.join(committed, file), 'utf8'));
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
