import { access } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '@convoy/test-support/tmp';
import { describe, expect, it } from 'vitest';
import { convoy } from '../../../test/cli-harness.js';
import { parseMetricsListen } from './metrics-listen.js';

describe('--metrics-listen', () => {
  it.each([
    ['127.0.0.1:9796', { host: '127.0.0.1', port: 9796 }],
    ['127.8.9.10:1', { host: '127.8.9.10', port: 1 }],
    ['[::1]:9796', { host: '::1', port: 9796 }],
    ['localhost:9796', { host: 'localhost', port: 9796 }],
  ])('takes the loopback address %s', (text, parsed) => {
    expect(parseMetricsListen(text, false)).toEqual(parsed);
  });

  it.each(['0.0.0.0:9796', '192.168.1.5:9796', '[::]:9796', 'metrics.example.com:9796'])('refuses %s unless public metrics are asked for', (text) => {
    expect(() => parseMetricsListen(text, false)).toThrow(/is not a loopback address.*--metrics-allow-public/);
    expect(parseMetricsListen(text, true).port).toBe(9796);
  });

  it.each(['9796', '127.0.0.1', '127.0.0.1:70000', '127.0.0.1:http', ':9796', '::1:9796'])('refuses the malformed %s', (text) => {
    expect(() => parseMetricsListen(text, false)).toThrow(/must be HOST:PORT/);
  });
});

it('convoy daemon stops before touching anything when --metrics-listen is public', async () => {
  const root = path.join(await tempDir('convoy-metrics-flag-'), 'root');
  const res = await convoy(['daemon', '--root', root, '--drivers', 'vfs', '--metrics-listen', '0.0.0.0:9796']);
  expect(res.code).toBe(1);
  expect(res.stderr).toMatch(/^convoy: --metrics-listen 0.0.0.0:9796 is not a loopback address/);
  await expect(access(root)).rejects.toThrow(/ENOENT/);
});
