/*
 * Property test of the bounded parsers (issue 17): seeded random strings and huge numbers for
 * every duration, size and count a user can give, through the CLI, the /v1 API and Docker `-o`,
 * against one real daemon. On every refused input the daemon's state, its volumes and the store
 * are byte-for-byte unchanged; every accepted input lies inside the range core states for its
 * kind; and whatever retention accepts, each volume keeps its newest backup and snapshot.
 * Bounded: a fixed seed and a fixed number of values per field.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseCount, parseDuration, parseKeepWithin, parseSize } from '@convoy/core';
import { fingerprintTree } from '@convoy/test-support/fingerprint';
import { seededRandom } from '@convoy/test-support/seeded-random';
import { tempDir } from '@convoy/test-support/tmp';
import { rawRequest } from '@convoy/test-support/unix-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convoy, type RunningDaemon, startTestDaemon } from '../test/cli-harness.js';
import { createVolumeHistory } from '../test/volume-history.js';
import { daemonConfigFromArgs } from './commands/daemon/config.js';

const VALUES_PER_FIELD = 12;
const SEED = 0x17_17;

const random = seededRandom(SEED);
const pick = <T>(items: readonly T[] | string): T => items[Math.floor(random() * items.length)] as T;
const digits = (n: number) => Array.from({ length: n }, (_, i) => (i === 0 ? pick('123456789') : pick('0123456789'))).join('');

/** Text a user might type, or a script might produce: numbers of any length, units valid or not, junk. */
function randomText(): string {
  const units = ['', 'ms', 's', 'm', 'h', 'd', 'y', 'k', 'g', 't', 'p', 'kb', 'GiB', 'w', 'µs', 'x'];
  switch (Math.floor(random() * 8)) {
    case 0:
      return `${digits(1 + Math.floor(random() * 25))}${pick(units)}`;
    case 1:
      return Array.from({ length: 1 + Math.floor(random() * 4) }, () => `${digits(1 + Math.floor(random() * 8))}${pick(units)}`).join('');
    case 2:
      return pick([
        '-1',
        '-5m',
        '1.5',
        '1e3',
        '1e400',
        'Infinity',
        'NaN',
        '0x10',
        ' ',
        '',
        '0',
        '00',
        '+5',
        '1_000',
        '１２',
        '5 m',
        '\u0000',
        `${'9'.repeat(80)}d`,
      ]);
    case 3:
      return pick(['9007199254740993', '9007199254740993d', '275000y', '100000000d', '18446744073709551616', '1p1', '1025t', '367d', '1001y', '2p']);
    case 5:
    case 6:
      // Either side of every stated range.
      return pick([
        '1s',
        '999ms',
        '1000ms',
        '366d',
        '367d',
        '8784h',
        '8785h',
        '31d',
        '32d',
        '1d',
        '25h',
        '1000y',
        '1001y',
        '12000m',
        '12001m',
        '366000d',
        '366001d',
        '1000000',
        '1000001',
        '64',
        '65',
        '1',
        '0',
        '1p',
        '1025t',
        '1024t',
        '5m',
        '1h',
        '2',
      ]);
    case 4:
      return Array.from({ length: 1 + Math.floor(random() * 12) }, () => String.fromCharCode(32 + Math.floor(random() * 95))).join('');
    default:
      return `${Math.floor(random() * 400)}${pick(units)}`;
  }
}

/** Numbers an API body might carry: huge, negative, fractional, unsafe, or ordinary. */
function randomNumber(): number {
  return pick([
    -1,
    0.5,
    1.5,
    2 ** 53 + 2,
    2 ** 64,
    1e300,
    -1e300,
    Number.MAX_SAFE_INTEGER,
    1_000_001,
    7,
    0,
    Math.floor(random() * 10 ** (1 + Math.floor(random() * 20))),
  ]);
}

/** True when core's bounded parser accepts `value` for the field: an accepted input must be one. */
type Accepts = (value: string) => boolean;
const accepts =
  (parse: (value: string) => unknown): Accepts =>
  (value) => {
    try {
      parse(value);
      return true;
    } catch {
      return false;
    }
  };
const interval = accepts((v) => parseDuration(v, '--every', 'interval'));
const jitter = accepts((v) => parseDuration(v, '--jitter', 'jitter'));
const keepCount = accepts((v) => parseCount(v, '--keep-last', 'keep'));
const keepWithin = accepts((v) => parseKeepWithin(v));
const volumeSize = accepts((v) => parseSize(v, '--size', 'volume'));
const grace = accepts((v) => parseDuration(v, '--grace', 'grace'));
const commandTimeout = accepts((v) => parseDuration(v, '--cmd-timeout', 'commandTimeout'));
const concurrency = accepts((v) => parseCount(v, '--backup-concurrency', 'backupConcurrency'));

const dir = await tempDir('convoy-bounded-fuzz-');
const store = `vfs://${path.join(dir, 'store')}`;
const YEARLY = '0 3 1 1 *';

describe('bounded parsers under random input, through the CLI, /v1 and Docker -o', () => {
  let daemon: RunningDaemon;
  const cli = (args: string[]) => convoy(['--socket', daemon.socketPath, ...args]);
  const api = (route: string, body: unknown) =>
    rawRequest(daemon.socketPath, 'POST', `/v1${route}`, JSON.stringify(body), { 'content-type': 'application/json' });
  const docker = (name: string, opts: Record<string, string>) =>
    rawRequest(daemon.socketPath, 'POST', '/VolumeDriver.Create', JSON.stringify({ Name: name, Opts: opts }));
  const state = () => fingerprintTree(dir);
  const newest = async () => {
    const backups = Object.values(
      (await cli(['backup', 'list', store, '--volume-name', 'db'])).json<Record<string, { BackupName: string; CreatedTime: string }>>(),
    );
    const snapshots = Object.entries((await cli(['inspect', 'db'])).json<{ Snapshots: Record<string, { CreatedTime: string }> }>().Snapshots);
    return { backups: backups.length, snapshots: snapshots.length };
  };

  /** Undoes what an accepted input made (schedule `s`, volume `v`), then takes the new baseline. */
  const undo = async () => {
    await cli(['schedule', 'delete', 's']);
    await cli(['schedule', 'delete', 'v']);
    await cli(['delete', 'v']);
    return state();
  };

  let refused = 0;
  let acceptedCount = 0;

  /** Runs one attempt; refused → nothing changed; accepted → the value was in range, and the newest copies survive. */
  async function check(label: string, value: string, inRange: boolean | undefined, attempt: () => Promise<boolean>, baseline: string[]): Promise<string[]> {
    const ok = await attempt();
    if (!ok) {
      refused += 1;
      expect(await state(), `${label} ${JSON.stringify(value)} was refused but changed state`).toEqual(baseline);
      return baseline;
    }
    acceptedCount += 1;
    if (inRange !== undefined) expect(inRange, `${label} ${JSON.stringify(value)} was accepted though out of range`).toBe(true);
    const left = await newest();
    expect(left.backups, `${label} ${JSON.stringify(value)} removed the newest backup`).toBeGreaterThan(0);
    expect(left.snapshots, `${label} ${JSON.stringify(value)} removed the newest snapshot`).toBeGreaterThan(0);
    return undo();
  }

  beforeAll(async () => {
    await fs.mkdir(path.join(dir, 'store'));
    daemon = await startTestDaemon(dir);
    await createVolumeHistory(cli, 'db', store, 3);
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('CLI flags', async () => {
    const cliOk = async (args: string[]) => (await cli(args)).code === 0;
    const fields: Array<[string, Accepts | undefined, (v: string) => string[]]> = [
      ['--every', interval, (v) => ['schedule', 'create', 's', '--volume', 'db', '--every', v]],
      ['--jitter', jitter, (v) => ['schedule', 'create', 's', '--volume', 'db', '--cron', YEARLY, '--jitter', v]],
      ['schedule --keep-last', keepCount, (v) => ['schedule', 'create', 's', '--volume', 'db', '--cron', YEARLY, '--keep-last', v]],
      ['schedule --keep-within', keepWithin, (v) => ['schedule', 'create', 's', '--volume', 'db', '--cron', YEARLY, '--keep-within', v]],
      ['backup forget --keep-within', keepWithin, (v) => ['backup', 'forget', store, '--volume-name', 'db', '--keep-within', v]],
      ['backup forget --keep-daily', keepCount, (v) => ['backup', 'forget', store, '--volume-name', 'db', '--keep-daily', v]],
      ['snapshot forget --keep-within', keepWithin, (v) => ['snapshot', 'forget', 'db', '--keep-within', v]],
      ['snapshot forget --keep-hourly', keepCount, (v) => ['snapshot', 'forget', 'db', '--keep-hourly', v]],
      ['create --size', volumeSize, (v) => ['create', 'v', '--size', v]],
      ['create --iops', undefined, (v) => ['create', 'v', '--iops', v]],
      ['resize --size', undefined, (v) => ['resize', 'db', '--size', v]],
      ['backup prune --grace', grace, (v) => ['backup', 'prune', store, '--grace', v]],
      ['backup create --block-size', undefined, (v) => ['backup', 'create', 'db-s0', '--dest', store, '--block-size', v]],
    ];
    let baseline = await state();
    for (const [label, inRange, args] of fields) {
      for (let i = 0; i < VALUES_PER_FIELD; i++) {
        const value = randomText();
        baseline = await check(label, value, inRange?.(value), () => cliOk(args(value)), baseline);
      }
    }
  });

  it('daemon flags (parsed before any daemon state exists)', () => {
    const base = { pluginName: 'convoy', ignoreDockerDelete: false, createOnDockerMount: false, cmdTimeout: '5m', logLevel: 'info', root: dir };
    for (let i = 0; i < VALUES_PER_FIELD * 4; i++) {
      const value = randomText();
      for (const [flag, inRange, args] of [
        ['--cmd-timeout', commandTimeout(value), { ...base, cmdTimeout: value }],
        ['--backup-concurrency', concurrency(value), { ...base, backupConcurrency: value }],
      ] as const) {
        let refusal: unknown;
        try {
          daemonConfigFromArgs(args);
        } catch (err) {
          refusal = err;
        }
        if (refusal === undefined) expect(inRange, `${flag} ${JSON.stringify(value)} was accepted though out of range`).toBe(true);
        else expect(refusal, `${flag} ${JSON.stringify(value)}`).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(flag) });
      }
    }
  });

  it('/v1 bodies', async () => {
    const apiOk = async (route: string, body: unknown) => (await api(route, body)).status < 400;
    let baseline = await state();
    for (let i = 0; i < VALUES_PER_FIELD; i++) {
      const text = randomText();
      const n = randomNumber();
      const attempts: Array<[string, string, boolean | undefined, string, unknown]> = [
        ['every', text, interval(text), '/schedules/create', { name: 's', volume: 'db', every: text }],
        ['jitter', text, jitter(text), '/schedules/create', { name: 's', volume: 'db', cron: YEARLY, jitter: text }],
        ['keep.within', text, keepWithin(text), '/schedules/create', { name: 's', volume: 'db', cron: YEARLY, keep: { within: text } }],
        ['keep.last', String(n), keepCount(String(n)), '/schedules/create', { name: 's', volume: 'db', cron: YEARLY, keep: { last: n } }],
        ['forget policy.within', text, keepWithin(text), '/backups/forget', { dest: store, volumeName: 'db', policy: { within: text } }],
        ['forget policy.monthly', String(n), keepCount(String(n)), '/backups/forget', { dest: store, volumeName: 'db', policy: { monthly: n } }],
        ['snapshot forget policy.within', text, keepWithin(text), '/snapshots/forget', { volume: 'db', policy: { within: text } }],
        ['Size', String(n), undefined, '/volumes/create', { Name: 'v', Size: n }],
        ['IOPS', String(n), undefined, '/volumes/create', { Name: 'v', IOPS: n }],
        ['resize Size', String(n), undefined, '/volumes/resize', { VolumeName: 'db', Size: n }],
        ['GraceSeconds', String(n), undefined, '/backups/prune', { URL: store, GraceSeconds: n }],
        ['BlockSize', String(n), undefined, '/backups/create', { URL: store, SnapshotName: 'db-s0', BlockSize: n }],
      ];
      for (const [label, value, inRange, route, body] of attempts) baseline = await check(`/v1 ${label}`, value, inRange, () => apiOk(route, body), baseline);
    }
  });

  it('Docker -o options', async () => {
    const dockerOk = async (opts: Record<string, string>) => ((await docker('v', opts)).json() as { Err: string }).Err === '';
    let baseline = await state();
    for (let i = 0; i < VALUES_PER_FIELD; i++) {
      const text = randomText();
      const attempts: Array<[string, boolean | undefined, Record<string, string>]> = [
        ['schedule', text.includes(' ') ? undefined : interval(text.trim()), { schedule: text }],
        ['schedule-jitter', jitter(text), { schedule: YEARLY, 'schedule-jitter': text }],
        ['schedule-keep-weekly', keepCount(text), { schedule: YEARLY, 'schedule-keep-weekly': text }],
        ['schedule-keep-within', keepWithin(text), { schedule: YEARLY, 'schedule-keep-within': text }],
        ['size', volumeSize(text), { size: text }],
      ];
      for (const [label, inRange, opts] of attempts) baseline = await check(`-o ${label}`, text, inRange, () => dockerOk(opts), baseline);
    }
    // The schedule Docker attached to volume v goes with it: undo() removed both.
    expect(refused).toBeGreaterThan(acceptedCount);
  });
});
