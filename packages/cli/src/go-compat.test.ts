import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describeNeeding } from '@convoy/test-support/gate';
import { expectGoBackup, expectGoSnapshot, expectGoVolume, type GoDaemon, goClient, shapeOf, startGoDaemon, withoutKeys } from '@convoy/test-support/go-convoy';
import { convoyGoBinary, goRequirement } from '@convoy/test-support/peers';
import { tempDir } from '@convoy/test-support/tmp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { convoy, type RunningDaemon, startTestDaemon } from '../test/cli-harness.js';

type Run = (args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

/**
 * One sequence of Go Convoy's commands, run three ways: Go's client on Go's daemon (the
 * reference), Go's client on Convoy's daemon, and Convoy's CLI (stdout not a terminal) on
 * Convoy's daemon. Returns each step's stdout.
 */
async function goSequence(run: Run, storeDir: string): Promise<Record<string, string>> {
  await mkdir(storeDir, { recursive: true });
  const store = `vfs://${storeDir}`;
  const out: Record<string, string> = {};
  const step = async (name: string, args: string[]) => {
    const r = await run(args);
    expect(r.code, `${name}: ${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
    out[name] = r.stdout;
    return r.stdout.trim();
  };
  await step('info', ['info']);
  await step('create', ['create', 'v1']);
  await step('createVerbose', ['--verbose', 'create', 'v2']);
  await step('snapshot', ['snapshot', 'create', 'v1', '--name', 's1']);
  await step('snapshotVerbose', ['--verbose', 'snapshot', 'create', 'v1']);
  await step('list', ['list']);
  await step('listDriver', ['list', '--driver']);
  await step('inspect', ['inspect', 'v1']);
  await step('snapshotInspect', ['snapshot', 'inspect', 's1']);
  const url = await step('backup', ['backup', 'create', 's1', '--dest', store]);
  await step('backupVerbose', ['--verbose', 'backup', 'create', 's1', '--dest', store]);
  await step('backupList', ['backup', 'list', store]);
  await step('backupInspect', ['backup', 'inspect', url]);
  await step('mountVerbose', ['--verbose', 'mount', 'v1']);
  await step('mount', ['mount', 'v2']);
  await step('umount', ['umount', 'v1']);
  await step('restore', ['create', 'v3', '--backup', url]);
  await step('snapshotDelete', ['snapshot', 'delete', 's1']);
  await step('backupDelete', ['backup', 'delete', url]);
  await step('delete', ['delete', 'v3']);
  await step('listAfter', ['list']);
  return out;
}

/** Which objects of each answer are maps keyed by names or URLs. */
const MAPS: Record<string, string[]> = {
  list: ['', '*.Snapshots'],
  listAfter: ['', '*.Snapshots'],
  listDriver: [''],
  inspect: ['Snapshots'],
  backupList: [''],
};
/** Convoy's additions to Go's answers: extra keys, never changed ones. */
const BACKUP_ADDITIONS = ['CompressionMethod', 'BackupMode', 'UploadedBytes', 'BlockCount'];
const ADDITIONS: Record<string, string[]> = {
  info: [
    'General.Version',
    'General.StoreOptions',
    'General.DriverOptions',
    'General.DriverTraits',
    'vfs.Driver',
    'vfs.ConfigPath',
    'vfs.SnapshotPath',
    'vfs.SnapshotCopy',
  ],
  backupList: BACKUP_ADDITIONS.map((k) => `*.${k}`),
  backupInspect: BACKUP_ADDITIONS,
};
const JSON_STEPS = [
  'info',
  'createVerbose',
  'snapshotVerbose',
  'list',
  'listDriver',
  'inspect',
  'snapshotInspect',
  'backupVerbose',
  'backupList',
  'backupInspect',
  'mountVerbose',
  'listAfter',
];

const dir = await tempDir('convoy-go-compat-');

describeNeeding(goRequirement, 'Go Convoy v0.5.2 compatibility: its client, its daemon and our CLI', () => {
  let binary: string;
  let goDaemon: GoDaemon;
  let forGoClient: RunningDaemon;
  let forCli: RunningDaemon;
  const results: Record<'reference' | 'goClient' | 'cli', Record<string, string>> = { reference: {}, goClient: {}, cli: {} };

  beforeAll(async () => {
    binary = convoyGoBinary();
    goDaemon = await startGoDaemon(binary, path.join(dir, 'go'));
    forGoClient = await startTestDaemon(path.join(dir, 'ours-go-client'));
    forCli = await startTestDaemon(path.join(dir, 'ours-cli'));
    results.reference = await goSequence((args) => goClient(binary, goDaemon.socket, args), `${dir}/store-reference`);
    results.goClient = await goSequence((args) => goClient(binary, forGoClient.socketPath, args), `${dir}/store-go-client`);
    results.cli = await goSequence((args) => convoy(['--socket', forCli.socketPath, ...args]), `${dir}/store-cli`);
  });
  afterAll(async () => {
    await goDaemon?.stop();
    await forGoClient?.stop();
    await forCli?.stop();
  });

  it("Go's client drives Convoy's daemon through every command, and its JSON parses into Go's structs", () => {
    const json = (step: string) => JSON.parse(results.goClient[step]!) as Record<string, unknown>;
    for (const step of ['createVerbose', 'inspect']) expectGoVolume(json(step), step);
    for (const step of ['list', 'listAfter']) for (const [name, volume] of Object.entries(json(step))) expectGoVolume(volume, `${step}.${name}`);
    expect(Object.keys(json('listAfter')).sort()).toEqual(['v1', 'v2']);
    expectGoSnapshot(json('snapshotVerbose'), 'snapshotVerbose');
    expectGoSnapshot(json('snapshotInspect'), 'snapshotInspect');
    expect(json('snapshotInspect')).toMatchObject({ Name: 's1', VolumeName: 'v1' });
    expectGoBackup(json('backupInspect'));
    for (const backup of Object.values(json('backupList'))) expectGoBackup(backup);
    expect(json('info')).toMatchObject({ General: { DriverList: ['vfs'], DefaultDriver: 'vfs' }, vfs: { DefaultVolumeSize: expect.stringMatching(/^\d+$/) } });
  });

  it("prints Go's bare answers where Go did: names, paths and the \\u0026-escaped backup URL", () => {
    for (const run of [results.reference, results.goClient, results.cli]) {
      expect(run.create).toBe('v1\n');
      expect(run.snapshot).toBe('s1\n');
      expect(run.restore).toBe('v3\n');
      expect(run.backup).toMatch(/^vfs:\/\/\/\S+\?backup=backup-[0-9a-f]{16}\\u0026volume=v1\n$/);
      expect(run.mount).toMatch(/^\/\S+\n$/);
      for (const step of ['umount', 'snapshotDelete', 'backupDelete', 'delete']) expect(run[step]!.trim(), step).toBe('');
    }
  });

  it("answers every JSON command with Go's keys and value types, field by field, only adding keys", () => {
    for (const [who, run] of [
      ['Go client on Convoy', results.goClient],
      ['Convoy CLI', results.cli],
    ] as const) {
      for (const step of JSON_STEPS) {
        const ours = withoutKeys(shapeOf(JSON.parse(run[step]!), MAPS[step]), ADDITIONS[step] ?? []);
        const reference = shapeOf(JSON.parse(results.reference[step]!), MAPS[step]);
        expect(ours, `${who}: ${step}`).toEqual(reference);
      }
    }
  });

  it("fails the way Go's client expects: a non-2xx status with the message as the body", async () => {
    for (const socket of [goDaemon.socket, forGoClient.socketPath]) {
      const missing = await goClient(binary, socket, ['inspect', 'nosuch']);
      expect(missing.code).toBe(1);
      expect(JSON.parse(missing.stdout)).toEqual({ Error: expect.stringMatching(/^Error response from server, .+\n$/) });
    }
    const ours = await goClient(binary, forGoClient.socketPath, ['snapshot', 'create', 'nosuch']);
    expect(JSON.parse(ours.stdout).Error).toMatch(/^Error response from server, .*nosuch/);
  });

  it('spells one time everywhere: a backup records the volume and snapshot times that inspect shows', () => {
    const inspect = JSON.parse(results.cli.inspect!);
    const snapshot = JSON.parse(results.cli.snapshotInspect!);
    const backup = JSON.parse(results.cli.backupInspect!);
    expect(snapshot.VolumeCreatedAt).toBe(inspect.CreatedTime);
    expect(backup.VolumeCreatedAt).toBe(inspect.CreatedTime);
    expect(backup.SnapshotCreatedAt).toBe(snapshot.CreatedTime);
    expect(inspect.DriverInfo.VolumeCreatedAt).toBe(inspect.CreatedTime);
  });
});
