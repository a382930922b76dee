import realStringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import stringWidth from './string-width.js';

describe("the client bundle's string-width", () => {
  it('counts terminal cells as the string-width package does for the text help is made of', () => {
    const samples = [
      '',
      'convoy backup create <snapshot>',
      '--keep-last must be a whole number ≥ 0 … [default: false]',
      '\u001B[1m\u001B[31mbold red\u001B[39m\u001B[22m',
      'naïve café',
      'e\u0301',
      'zero\u200bwidth',
      '日本語のテキスト',
      '한국어',
      'ｆｕｌｌ',
      '🚀 launch 🎉',
      'tab\there',
    ];
    for (const text of samples) expect(stringWidth(text), JSON.stringify(text)).toBe(realStringWidth(text));
  });

  it('answers 0 for what is not text, as string-width does', () => {
    expect(stringWidth(undefined as unknown as string)).toBe(0);
  });
});
