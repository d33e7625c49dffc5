/**
 * "Did you mean …?" suggestions for misspelt keys, option names and job ids.
 *
 * @module
 */

/** Edits between two words; swapping two neighbouring letters counts as one edit. */
function distance(a: string, b: string): number {
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        current[j] = Math.min(current[j], before[j - 2] + 1);
      }
    }
    [before, previous] = [previous, current];
  }
  return previous[b.length];
}

/** Case, `_` and `-` do not count as differences: `call_limit` is close to `callLimit`. */
function fold(word: string): string {
  return word.toLowerCase().replace(/[_-]/g, "");
}

/**
 * The closest candidate to `word`, if one is close enough to be a likely typo:
 * at most a third of the word's letters differ (at least one edit allowed),
 * and never more than half of them, so that `zz` suggests nothing.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const folded = fold(word);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = distance(folded, fold(candidate));
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  const allowed = Math.max(1, Math.floor(folded.length / 3));
  return bestDistance <= allowed && bestDistance * 2 < folded.length ? best : undefined;
}

/** `' (did you mean "x"?)'` or `""`. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const match = closest(word, candidates);
  return match === undefined ? "" : ` (did you mean "${match}"?)`;
}
