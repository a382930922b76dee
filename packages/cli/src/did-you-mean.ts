/**
 * "Did you mean": yargs finds the nearest command to a mistyped one and fails with "Did you mean
 * X?"; this turns that into one line naming both words, as git and kubectl do.
 */

/** Edit distance (insertions, deletions, substitutions), to find which argument was the typo. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/**
 * yargs' suggestion message rewritten with the word the user typed (the argument nearest to the
 * suggestion), or undefined when `message` is not a suggestion.
 */
export function didYouMean(message: string, argv: readonly string[]): string | undefined {
  const suggested = /^Did you mean (\S+)\?$/.exec(message)?.[1];
  if (suggested === undefined) return undefined;
  const words = argv.filter((word) => !word.startsWith('-') && word !== suggested);
  const typed = words.reduce<string | undefined>(
    (best, word) => (best === undefined || distance(word, suggested) < distance(best, suggested) ? word : best),
    undefined,
  );
  return typed === undefined ? `did you mean "${suggested}"?` : `unknown command "${typed}": did you mean "${suggested}"?`;
}
