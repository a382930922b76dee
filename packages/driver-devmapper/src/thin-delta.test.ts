import { isConvoyError } from '@convoy/core';
import { describe, expect, it } from 'vitest';
import { parseThinDelta } from './thin-delta.js';

// Real thin_delta 0.9.0 output from the dm-thin guest (scripts/dm-vm-run.sh): a 4 MiB file written
// before the snapshot, then 1 MiB of it rewritten and a new 1 MiB file added.
const TERSE = `<superblock uuid="" time="1" transaction="0" data_block_size="128" nr_data_blocks="0">
  <diff left="1" right="0">
    <different begin="0" length="1"/>
    <same begin="1" length="7"/>
    <different begin="8" length="2"/>
    <same begin="10" length="255"/>
    <different begin="265" length="1"/>
    <same begin="2048" length="1"/>
    <right_only begin="2064" length="16"/>
    <same begin="2112" length="32"/>
    <different begin="2144" length="16"/>
    <same begin="2160" length="16"/>
    <same begin="6144" length="1"/>
    <different begin="8192" length="1"/>
    <same begin="8193" length="511"/>
  </diff>
</superblock>
`;

// The same run with --verbose (head of the real output, closed where the sample was cut).
const VERBOSE = `<superblock uuid="" time="1" transaction="0" data_block_size="128" nr_data_blocks="0">
  <diff left="1" right="0">
    <different>
      <range begin="0" left_data_begin="770" right_data_begin="847" length="1"/>
    </different>
    <same>
      <range begin="1" data_begin="771" length="7"/>
    </same>
    <different>
      <range begin="8" left_data_begin="778" right_data_begin="881" length="1"/>
      <range begin="9" left_data_begin="1" right_data_begin="882" length="1"/>
    </different>
    <left_only>
      <range begin="40" data_begin="12" length="3"/>
    </left_only>
  </diff>
</superblock>
`;

describe('parseThinDelta', () => {
  it('reads the terse form with every kind and the header', () => {
    const delta = parseThinDelta(TERSE);
    expect(delta).toMatchObject({ dataBlockSize: 128, left: 1, right: 0 });
    expect(delta.ranges).toHaveLength(13);
    expect(delta.ranges[0]).toEqual({ kind: 'different', begin: 0, length: 1 });
    expect(delta.ranges[6]).toEqual({ kind: 'right_only', begin: 2064, length: 16 });
    expect(delta.ranges.filter((r) => r.kind !== 'same').map((r) => [r.begin, r.length])).toEqual([
      [0, 1],
      [8, 2],
      [265, 1],
      [2064, 16],
      [2144, 16],
      [8192, 1],
    ]);
  });

  it('reads the --verbose form, taking each range kind from its group', () => {
    const delta = parseThinDelta(VERBOSE);
    expect(delta.ranges).toEqual([
      { kind: 'different', begin: 0, length: 1 },
      { kind: 'same', begin: 1, length: 7 },
      { kind: 'different', begin: 8, length: 1 },
      { kind: 'different', begin: 9, length: 1 },
      { kind: 'left_only', begin: 40, length: 3 },
    ]);
  });

  it('accepts a diff with no ranges (two empty devices)', () => {
    const delta = parseThinDelta(
      '<superblock uuid="" time="0" transaction="0" data_block_size="4096" nr_data_blocks="0">\n  <diff left="3" right="3">\n  </diff>\n</superblock>\n',
    );
    expect(delta).toEqual({ dataBlockSize: 4096, left: 3, right: 3, ranges: [] });
  });

  it.each([
    ['truncated output', TERSE.slice(0, TERSE.indexOf('<same begin="2160"'))],
    ['an unknown element', TERSE.replace('<same begin="1" length="7"/>', '<moved begin="1" length="7"/>')],
    ['a missing length', TERSE.replace('<right_only begin="2064" length="16"/>', '<right_only begin="2064"/>')],
    ['a non-numeric begin', TERSE.replace('begin="265"', 'begin="x"')],
    ['stray text', TERSE.replace('<diff left="1" right="0">', '<diff left="1" right="0">oops')],
    ['an error message instead of XML', 'no current metadata snap\n'],
    ['a range outside a group', VERBOSE.replace('<same>', '')],
  ])('refuses %s with a CORRUPT error', (_, xml) => {
    let caught: unknown;
    try {
      parseThinDelta(xml);
    } catch (err) {
      caught = err;
    }
    expect(isConvoyError(caught, 'CORRUPT')).toBe(true);
  });
});
