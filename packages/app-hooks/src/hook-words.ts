import { ConvoyError } from '@convoy/core';

/**
 * A hook label's value split into argv the way a POSIX shell splits words, and nothing more:
 * single quotes keep everything, double quotes keep everything but `\"` and `\\`, a backslash
 * outside quotes escapes the next character. No variable, glob, command or tilde expansion and
 * no operators: the words go to the Engine API's exec as they are, so a label can never make
 * the host run anything. `sh -c '…'` in the label is how a container asks for its own shell.
 */

/** Longer label values are refused before they are scanned. */
export const MAX_HOOK_TEXT = 8192;
/** More words than this is a mistake, not a command. */
export const MAX_HOOK_WORDS = 256;

export function splitHookWords(text: string, label: string): string[] {
  const bad = (why: string) => new ConvoyError('INVALID_ARGUMENT', `label ${label} ${why}`, { details: { label } });
  if (text.length > MAX_HOOK_TEXT) throw bad(`is ${text.length} characters long; at most ${MAX_HOOK_TEXT} are allowed`);
  if (text.includes('\0')) throw bad('contains a NUL character');
  const words: string[] = [];
  let word = '';
  /** Whether a word has begun: '' is a word once quoted (`sh -c ''`). */
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) word += text[++i] as string;
      else word += c;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      inWord = true;
      if (c === "'" || c === '"') quote = c;
      else if (c === '\\') {
        if (i + 1 >= text.length) throw bad('ends with a lone backslash');
        word += text[++i] as string;
      } else word += c;
    }
    if (words.length > MAX_HOOK_WORDS) throw bad(`has more than ${MAX_HOOK_WORDS} words`);
  }
  if (quote) throw bad(`has an unterminated ${quote} quote`);
  if (inWord) words.push(word);
  if (words.length > MAX_HOOK_WORDS) throw bad(`has more than ${MAX_HOOK_WORDS} words`);
  if (words.length === 0) throw bad('is empty; remove the label or give the command to run in the container');
  return words;
}
