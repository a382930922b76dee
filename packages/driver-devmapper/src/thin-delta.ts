import { ConvoyError } from '@convoy/core';

/**
 * How a run of thin blocks compares between `--snap1` (left) and `--snap2` (right):
 * `left_only` is mapped only in snap1 (discarded since), `right_only` is newly provisioned.
 * Blocks unmapped in both are not listed at all.
 */
export type DeltaKind = 'same' | 'different' | 'left_only' | 'right_only';

export interface DeltaRange {
  kind: DeltaKind;
  /** First thin (virtual) block; a block is `dataBlockSize` sectors. */
  begin: number;
  length: number;
}

export interface ThinDelta {
  /** Pool block size in 512-byte sectors, from the superblock header. */
  dataBlockSize: number;
  left: number;
  right: number;
  ranges: DeltaRange[];
}

const KINDS: ReadonlySet<string> = new Set(['same', 'different', 'left_only', 'right_only']);
const TAG = /<(\/?)([a-z_]+)((?:\s+[a-z_]+="[^"]*")*)\s*(\/?)>/g;
const ATTRIBUTE = /([a-z_]+)="([^"]*)"/g;

function corrupt(why: string): ConvoyError {
  return new ConvoyError('CORRUPT', `unexpected thin_delta output: ${why}`);
}

function attributes(text: string): Map<string, string> {
  return new Map([...text.matchAll(ATTRIBUTE)].map((m) => [m[1] as string, m[2] as string]));
}

function count(attrs: Map<string, string>, name: string, tag: string): number {
  const value = attrs.get(name);
  if (value === undefined || !/^\d+$/.test(value)) throw corrupt(`<${tag}> has no numeric ${name}`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw corrupt(`<${tag}> ${name}=${value} is out of range`);
  return n;
}

/**
 * Parses `thin_delta` XML in both forms: the terse one (`<different begin= length=/>`) and
 * `--verbose`, which groups `<range begin= ... length=/>` elements inside `<different>` etc.
 * Anything else between the tags is an error, so a changed tool cannot silently drop extents.
 */
export function parseThinDelta(xml: string): ThinDelta {
  let header: Pick<ThinDelta, 'dataBlockSize'> | undefined;
  let diff: Pick<ThinDelta, 'left' | 'right'> | undefined;
  let group: DeltaKind | undefined;
  let closedSuperblock = false;
  const ranges: DeltaRange[] = [];
  let last = 0;
  for (const match of xml.matchAll(TAG)) {
    const between = xml.slice(last, match.index);
    if (between.trim() !== '') throw corrupt(`stray text ${JSON.stringify(between.trim().slice(0, 40))}`);
    last = match.index + match[0].length;
    const [, closing, tag = '', attrText = '', selfClosing] = match;
    const attrs = attributes(attrText);
    if (closing) {
      if (KINDS.has(tag)) group = undefined;
      if (tag === 'superblock') closedSuperblock = true;
      continue;
    }
    if (tag === 'superblock') {
      header = { dataBlockSize: count(attrs, 'data_block_size', tag) };
    } else if (tag === 'diff') {
      diff = { left: count(attrs, 'left', tag), right: count(attrs, 'right', tag) };
    } else if (KINDS.has(tag)) {
      if (selfClosing) ranges.push({ kind: tag as DeltaKind, begin: count(attrs, 'begin', tag), length: count(attrs, 'length', tag) });
      else group = tag as DeltaKind;
    } else if (tag === 'range') {
      if (!group) throw corrupt('<range> outside a same/different/left_only/right_only group');
      ranges.push({ kind: group, begin: count(attrs, 'begin', tag), length: count(attrs, 'length', tag) });
    } else {
      throw corrupt(`unknown element <${tag}>`);
    }
  }
  if (xml.slice(last).trim() !== '') throw corrupt('trailing text after the last element');
  if (!header || !diff || !closedSuperblock) throw corrupt('missing <superblock> or <diff>, or the output is truncated');
  return { ...header, ...diff, ranges };
}
