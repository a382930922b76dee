import { aborted, invalidArgument } from './status.js';

const TOKEN_PREFIX = 'after.';

/**
 * Pages of a list sorted by key. The token names the last key returned, so a page stays right
 * when entries are added or deleted between calls (csi-sanity deletes the very entry a token
 * points at); a token this plugin did not make is ABORTED, as the spec asks.
 */
export function paginate<T>(items: readonly T[], keyOf: (item: T) => string, maxEntries: number, startingToken: string): { entries: T[]; nextToken: string } {
  if (!Number.isInteger(maxEntries) || maxEntries < 0) throw invalidArgument(`max_entries must be 0 or more, not ${maxEntries}`);
  const sorted = [...items].sort((a, b) => compare(keyOf(a), keyOf(b)));
  let start = 0;
  if (startingToken !== '') {
    const after = decodeToken(startingToken);
    start = sorted.findIndex((item) => compare(keyOf(item), after) > 0);
    if (start < 0) start = sorted.length;
  }
  const end = maxEntries === 0 ? sorted.length : Math.min(sorted.length, start + maxEntries);
  const entries = sorted.slice(start, end);
  const last = entries[entries.length - 1];
  const nextToken = end < sorted.length && last !== undefined ? TOKEN_PREFIX + Buffer.from(keyOf(last)).toString('base64url') : '';
  return { entries, nextToken };
}

function decodeToken(token: string): string {
  if (!token.startsWith(TOKEN_PREFIX)) throw aborted(`starting_token ${JSON.stringify(token)} was not made by this plugin`);
  const key = Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString();
  if (key === '') throw aborted(`starting_token ${JSON.stringify(token)} is empty`);
  return key;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
