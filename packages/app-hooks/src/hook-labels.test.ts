import { isConvoyError } from '@convoy/core';
import { describe, expect, it } from 'vitest';
import { HOOK_LABELS, hookSpecOf } from './hook-labels.js';
import { MAX_HOOK_TEXT, MAX_HOOK_WORDS, splitHookWords } from './hook-words.js';

const L = 'io.convoy.hooks.pre-snapshot';
const defaults = { timeoutMs: 30_000, onError: 'fail' } as const;
const refusal = (run: () => unknown): { code: string; message: string } => {
  try {
    run();
  } catch (err) {
    if (isConvoyError(err)) return err;
    throw err;
  }
  throw new Error('expected a refusal');
};

describe('splitHookWords: a label becomes argv without any shell', () => {
  it('splits on whitespace, keeping quoted words whole', () => {
    expect(splitHookWords(`sh -c 'echo a; sync'`, L)).toEqual(['sh', '-c', 'echo a; sync']);
    expect(splitHookWords(`  pg_ctl   checkpoint\t-D "/var/lib/my data" `, L)).toEqual(['pg_ctl', 'checkpoint', '-D', '/var/lib/my data']);
  });

  it('double quotes keep \\" and \\\\ escapes, single quotes keep everything literally', () => {
    expect(splitHookWords(`echo "say \\"hi\\" \\\\ \\n"`, L)).toEqual(['echo', 'say "hi" \\ \\n']);
    expect(splitHookWords(`echo 'a\\b "c"'`, L)).toEqual(['echo', 'a\\b "c"']);
    expect(splitHookWords(`echo a\\ b`, L)).toEqual(['echo', 'a b']);
    expect(splitHookWords(`a"b"'c'd`, L)).toEqual(['abcd']);
  });

  it('an empty quoted word is a word', () => {
    expect(splitHookWords(`sh -c ''`, L)).toEqual(['sh', '-c', '']);
  });

  it('expands nothing: $VAR, globs, ~, $(…), ; and | reach the container as text', () => {
    expect(splitHookWords('echo $HOME ~ * $(id) ; rm -rf / | cat', L)).toEqual(['echo', '$HOME', '~', '*', '$(id)', ';', 'rm', '-rf', '/', '|', 'cat']);
  });

  it('refuses an empty or blank label, naming it', () => {
    for (const text of ['', '   ', '\n\t']) {
      const err = refusal(() => splitHookWords(text, L));
      expect(err.code).toBe('INVALID_ARGUMENT');
      expect(err.message).toContain(L);
      expect(err.message).toContain('empty');
    }
  });

  it('refuses unterminated quotes, a trailing backslash and NUL', () => {
    expect(refusal(() => splitHookWords(`sh -c 'echo`, L)).message).toContain("unterminated ' quote");
    expect(refusal(() => splitHookWords(`echo "a`, L)).message).toContain('unterminated " quote');
    expect(refusal(() => splitHookWords('echo \\', L)).message).toContain('lone backslash');
    expect(refusal(() => splitHookWords('echo a\0b', L)).message).toContain('NUL');
  });

  it('refuses a huge label before scanning it, and too many words', () => {
    expect(splitHookWords('x'.repeat(MAX_HOOK_TEXT), L)).toHaveLength(1);
    expect(refusal(() => splitHookWords('x'.repeat(MAX_HOOK_TEXT + 1), L)).message).toContain(`at most ${MAX_HOOK_TEXT}`);
    expect(refusal(() => splitHookWords(`'${'a'.repeat(10_000_000)}`, L)).message).toContain(`at most ${MAX_HOOK_TEXT}`);
    expect(splitHookWords(Array(MAX_HOOK_WORDS).fill('a').join(' '), L)).toHaveLength(MAX_HOOK_WORDS);
    expect(
      refusal(() =>
        splitHookWords(
          Array(MAX_HOOK_WORDS + 1)
            .fill('a')
            .join(' '),
          L,
        ),
      ).message,
    ).toContain(`more than ${MAX_HOOK_WORDS} words`);
  });
});

describe('hookSpecOf: the labels a container declares', () => {
  it('no hook label: the container takes no part', () => {
    expect(hookSpecOf({}, defaults)).toBeUndefined();
    expect(hookSpecOf({ [HOOK_LABELS.timeout]: '5s', other: 'x' }, defaults)).toBeUndefined();
  });

  it('reads both hooks, the timeout and the policy, with defaults', () => {
    expect(hookSpecOf({ [HOOK_LABELS.pre]: 'sync' }, defaults)).toEqual({ pre: ['sync'], timeoutMs: 30_000, onError: 'fail' });
    expect(
      hookSpecOf({ [HOOK_LABELS.pre]: 'a', [HOOK_LABELS.post]: "sh -c 'b c'", [HOOK_LABELS.timeout]: '1m30s', [HOOK_LABELS.onError]: 'continue' }, defaults),
    ).toEqual({
      pre: ['a'],
      post: ['sh', '-c', 'b c'],
      timeoutMs: 90_000,
      onError: 'continue',
    });
    expect(hookSpecOf({ [HOOK_LABELS.post]: 'b' }, { timeoutMs: 5000, onError: 'continue' })).toEqual({ post: ['b'], timeoutMs: 5000, onError: 'continue' });
  });

  it('refuses a timeout out of bounds or nonsense, and an unknown policy, naming the label', () => {
    for (const timeout of ['0', '-5s', '11m', '1e9s', 'soon', '99999999999999999999d', '']) {
      const err = refusal(() => hookSpecOf({ [HOOK_LABELS.pre]: 'sync', [HOOK_LABELS.timeout]: timeout }, defaults));
      expect(err.code).toBe('INVALID_ARGUMENT');
      expect(err.message).toContain(HOOK_LABELS.timeout);
    }
    const err = refusal(() => hookSpecOf({ [HOOK_LABELS.pre]: 'sync', [HOOK_LABELS.onError]: 'ignore' }, defaults));
    expect(err.message).toContain(HOOK_LABELS.onError);
    expect(err.message).toContain('fail or continue');
  });
});
