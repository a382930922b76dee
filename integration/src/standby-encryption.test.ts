/**
 * A standby following an encrypted store on a host whose daemon holds no key (issue 21 item 1,
 * per-call keys): `create --standby` and every `standby sync` take the caller's key, as `backup
 * create` and a restore do. A missing or wrong key is refused before the sync's journal is
 * written, so the standby keeps what it held (its state file and its blocks byte for byte), and
 * no key material reaches an answer, an error or a log line.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { toConvoyError } from '@convoy/core';
import { expectCode, ImageSource } from '@convoy/core/testing';
import type { EncryptionKeyParam } from '@convoy/volume-service';
import { describe, expect, it } from 'vitest';
import { imageDriver } from '../test/image-driver.js';
import { backupNameOf, expectHolds, managerOf, site } from '../test/standby-site.js';

const keyFile = (): EncryptionKeyParam => ({ kind: 'key-file', secret: randomBytes(32).toString('base64') });

/** A logger that keeps every line it is given, as JSON, to search for key material. */
function recordingLog(lines: string[]) {
  const keep = (level: string) => (msg: string, fields?: Record<string, unknown>) => lines.push(JSON.stringify({ level, msg, ...fields }));
  return { debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') };
}

describe('a standby of an encrypted store, on a daemon without a key of its own', () => {
  it('is created and synced (forward and back, bit-exact) with the per-call key; a missing or wrong key is refused and changes nothing', async () => {
    const key = keyFile();
    const wrong = keyFile();
    const s = await site({ key });
    const [b1, b2, b3] = s.urls as [string, string, string];
    const standbyImages = path.join(s.dir, 'standby-images');
    const standbyDir = path.join(s.dir, 'standby-host');
    const log: string[] = [];
    const host = managerOf([imageDriver(await ImageSource.open(standbyImages))], standbyDir, recordingLog(log));
    await host.open();
    const answers: unknown[] = [];
    const refused = async (work: Promise<unknown>) => {
      const err = await work.then(
        () => undefined,
        (e: unknown) => toConvoyError(e),
      );
      expect(err?.code).toBe('KEY_REQUIRED');
      answers.push(err?.toJSON());
    };

    await refused(host.createVolume({ name: 'dr', backupUrl: b1, standby: true }));
    await refused(host.createVolume({ name: 'dr', backupUrl: b1, standby: true, encryptionKey: wrong }));
    await expectCode(host.getVolume('dr'), 'NOT_FOUND');
    await expect(fs.readdir(standbyDir).catch(() => [])).resolves.toEqual([]);

    const created = await host.createVolume({ name: 'dr', backupUrl: b1, standby: true, encryptionKey: key });
    answers.push(created);
    expect(created.standby).toMatchObject({ backupName: backupNameOf(b1) });
    await expectHolds(standbyImages, 'dr', 's1', s.images);

    const state = path.join(standbyDir, 'dr.json');
    const before = await fs.readFile(state, 'utf8');
    await refused(host.syncStandby('dr', { backupUrl: b3 }));
    await refused(host.syncStandby('dr', { backupUrl: b3, encryptionKey: wrong }));
    await refused(host.syncStandby('dr', { latest: true, encryptionKey: wrong }));
    expect(await fs.readFile(state, 'utf8'), 'the standby record (and its journal) is untouched').toBe(before);
    expect((await host.getVolume('dr')).standby).toMatchObject({ backupName: backupNameOf(b1), status: `holds ${backupNameOf(b1)}` });
    await expectHolds(standbyImages, 'dr', 's1', s.images);

    const latest = await host.syncStandby('dr', { latest: true, encryptionKey: key });
    answers.push(latest);
    expect(latest).toMatchObject({ method: 'block-diff', blocksWritten: 2, blocksZeroed: 1, backupName: backupNameOf(b3) });
    await expectHolds(standbyImages, 'dr', 's3', s.images);
    const back = await host.syncStandby('dr', { backupUrl: b2, encryptionKey: key });
    answers.push(back);
    expect(back).toMatchObject({ method: 'block-diff', backupName: backupNameOf(b2) });
    await expectHolds(standbyImages, 'dr', 's2', s.images);
    await host.close();
    await s.manager.close();

    const seen = JSON.stringify(answers) + log.join('\n') + (await fs.readFile(state, 'utf8'));
    for (const secret of [key.secret, wrong.secret]) expect(seen).not.toContain(secret);
  });
});
