// "did you mean" for misspelt configuration keys: the closest known key by edit distance, when it
// is close enough to be a typo rather than a different key.

/** Levenshtein distance, two rows. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The known key closest to `key`, or null if none is within a third of its length (at least 2). */
export function closestKey(key: string, known: Iterable<string>): string | null {
  const limit = Math.max(2, Math.floor(key.length / 3));
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = distance(key, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : null;
}
