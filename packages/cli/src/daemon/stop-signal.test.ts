import { createJsonLogger } from '@convoy/core';
import { describe, expect, it } from 'vitest';
import type { StopOutcome } from './bounded-stop.js';
import type { RunningDaemon } from './start-daemon.js';
import { serveUntilStopped } from './stop-signal.js';

const log = createJsonLogger({ level: 'error' });

/** A daemon that records how it was ended; the real one is exercised by terminal-session.test.ts. */
function recordingDaemon(outcome: StopOutcome = 'stopped') {
  const calls: string[] = [];
  const daemon: RunningDaemon = {
    socketPath: '/nonexistent/convoy.sock',
    stop: async () => {
      calls.push('stop');
      return outcome;
    },
    abandon: async (reason) => void calls.push(`abandon: ${reason}`),
  };
  return { daemon, calls };
}

const listeners = () => process.listenerCount('SIGINT') + process.listenerCount('SIGTERM');

describe('serveUntilStopped', () => {
  it('a SIGINT that arrives while the daemon starts stops it once started (Node would otherwise kill the process and leave the socket and root lock)', async () => {
    const { daemon, calls } = recordingDaemon();
    let started: (d: RunningDaemon) => void = () => {};
    const exit = serveUntilStopped(() => new Promise((resolve) => (started = resolve)), log);
    process.emit('SIGINT', 'SIGINT');
    expect(calls).toEqual([]);
    started(daemon);
    expect(await exit).toBe(0);
    expect(calls).toEqual(['stop']);
  });

  it('a SIGTERM after start-up stops it; a second signal while stopping abandons it with 130', async () => {
    let finishStop: (o: StopOutcome) => void = () => {};
    const calls: string[] = [];
    const daemon: RunningDaemon = {
      socketPath: '/nonexistent/convoy.sock',
      stop: () => {
        calls.push('stop');
        return new Promise((resolve) => (finishStop = resolve));
      },
      abandon: async (reason) => void calls.push(`abandon: ${reason}`),
    };
    const exit = serveUntilStopped(async () => daemon, log);
    await new Promise((resolve) => setImmediate(resolve));
    process.emit('SIGTERM', 'SIGTERM');
    process.emit('SIGINT', 'SIGINT');
    expect(await exit).toBe(130);
    expect(calls).toEqual(['stop', 'abandon: second signal (SIGINT) while stopping']);
    finishStop('stopped');
  });

  it('a stop that passes its deadline exits 1', async () => {
    const { daemon } = recordingDaemon('abandoned' as StopOutcome);
    const exit = serveUntilStopped(async () => daemon, log);
    await new Promise((resolve) => setImmediate(resolve));
    process.emit('SIGINT', 'SIGINT');
    expect(await exit).toBe(1);
  });

  it('leaves no signal handler behind, after a stop or a failed start-up', async () => {
    const before = listeners();
    const { daemon } = recordingDaemon();
    const exit = serveUntilStopped(async () => daemon, log);
    await new Promise((resolve) => setImmediate(resolve));
    process.emit('SIGINT', 'SIGINT');
    expect(await exit).toBe(0);
    expect(listeners()).toBe(before);
    await expect(serveUntilStopped(async () => Promise.reject(new Error('no drivers')), log)).rejects.toThrow('no drivers');
    expect(listeners()).toBe(before);
  });
});
