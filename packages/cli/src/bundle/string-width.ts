/**
 * The client bundle's stand-in for the `string-width` package, which yargs and cliui use to lay
 * out help. string-width builds an `Intl.Segmenter` when it loads (ICU's break-iterator data),
 * and the bundle carried two versions of it: that alone cost most of what `convoy list` spent
 * above `node -e 0`, to measure help text nobody asked for. This one counts terminal cells
 * directly: ANSI escapes and zero-width characters take none, East Asian wide characters and
 * emoji two, everything else one. tsup.config.ts aliases `string-width` here; tests and the
 * daemon use the real package.
 */

// ansi-regex's pattern (CSI and OSC sequences).
const ANSI =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC, CSI and BEL are what an ANSI sequence is made of
  /[\u001B\u009B][[\]()#;?]*(?:(?:(?:(?:;[-a-zA-Z\d/#&.:=?%@~_]+)*|[a-zA-Z\d]+(?:;[-a-zA-Z\d/#&.:=?%@~_]*)*)?\u0007)|(?:(?:\d{1,4}(?:;\d{0,4})*)?[\dA-PR-TZcf-nq-uy=><~]))/g;

/** [first, last] code point ranges of zero-width characters: combining marks, joiners, variation selectors. */
const ZERO_WIDTH: ReadonlyArray<readonly [number, number]> = [
  [0x0300, 0x036f],
  [0x0483, 0x0489],
  [0x0591, 0x05bd],
  [0x0610, 0x061a],
  [0x064b, 0x065f],
  [0x1ab0, 0x1aff],
  [0x1dc0, 0x1dff],
  [0x200b, 0x200f],
  [0x2028, 0x202e],
  [0x2060, 0x2064],
  [0x20d0, 0x20ff],
  [0xfe00, 0xfe0f],
  [0xfe20, 0xfe2f],
  [0xfeff, 0xfeff],
  [0xe0100, 0xe01ef],
];

/** Ranges that terminals draw two cells wide (East Asian Wide and Fullwidth, and emoji). */
const WIDE: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f],
  [0x231a, 0x231b],
  [0x2329, 0x232a],
  [0x23e9, 0x23ec],
  [0x25fd, 0x25fe],
  [0x2614, 0x2615],
  [0x2648, 0x2653],
  [0x26a1, 0x26a1],
  [0x26aa, 0x26ab],
  [0x26bd, 0x26be],
  [0x26c4, 0x26c5],
  [0x26d4, 0x26d4],
  [0x26ea, 0x26ea],
  [0x26f2, 0x26f5],
  [0x26fa, 0x26fd],
  [0x2705, 0x2705],
  [0x270a, 0x270b],
  [0x2728, 0x2728],
  [0x274c, 0x274c],
  [0x2753, 0x2755],
  [0x2757, 0x2757],
  [0x2795, 0x2797],
  [0x27b0, 0x27b0],
  [0x27bf, 0x27bf],
  [0x2b1b, 0x2b1c],
  [0x2b50, 0x2b50],
  [0x2b55, 0x2b55],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f004, 0x1f004],
  [0x1f0cf, 0x1f0cf],
  [0x1f18e, 0x1f18e],
  [0x1f191, 0x1f19a],
  [0x1f200, 0x1f251],
  [0x1f300, 0x1f64f],
  [0x1f680, 0x1f6ff],
  [0x1f7e0, 0x1f7eb],
  [0x1f90c, 0x1f9ff],
  [0x1fa70, 0x1faff],
  [0x20000, 0x3fffd],
];

const within = (ranges: ReadonlyArray<readonly [number, number]>, codePoint: number) => ranges.some(([first, last]) => codePoint >= first && codePoint <= last);

function cells(codePoint: number): number {
  if (codePoint < 0x20 || (codePoint >= 0x7f && codePoint < 0xa0)) return 0;
  if (codePoint < 0x300) return 1;
  if (within(ZERO_WIDTH, codePoint)) return 0;
  return within(WIDE, codePoint) ? 2 : 1;
}

/** How many terminal cells `text` takes. */
export default function stringWidth(text: string): number {
  if (typeof text !== 'string' || text === '') return 0;
  let width = 0;
  for (const character of text.replace(ANSI, '')) width += cells(character.codePointAt(0) as number);
  return width;
}
