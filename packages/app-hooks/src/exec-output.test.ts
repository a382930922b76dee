import { describe, expect, it } from 'vitest';
import { ExecOutput, MAX_HOOK_OUTPUT } from './exec-output.js';

/** Docker's multiplexed exec stream: an 8-byte header (stream, 0, 0, 0, size u32 BE) per frame. */
function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('ExecOutput', () => {
  it('joins stdout and stderr payloads, whatever the chunking (headers and payloads cut anywhere)', () => {
    const raw = Buffer.concat([frame(1, 'hello '), frame(2, 'from stderr '), frame(1, ''), frame(1, 'end')]);
    for (let cut = 1; cut <= raw.length; cut++) {
      const output = new ExecOutput();
      for (let at = 0; at < raw.length; at += cut) output.push(raw.subarray(at, at + cut));
      expect(output.text()).toBe('hello from stderr end');
    }
  });

  it('keeps only the last 4 KiB of a huge output', () => {
    const output = new ExecOutput();
    const line = `${'x'.repeat(1023)}\n`;
    for (let i = 0; i < 64 * 1024; i++) output.push(frame(1, line)); // 64 MiB through, a bounded tail kept
    output.push(frame(2, 'the last words'));
    const text = output.text();
    expect(text.length).toBe(MAX_HOOK_OUTPUT);
    expect(text.endsWith('x\nthe last words')).toBe(true);
  });
});
