/**
 * Rejects option keys a function does not know, naming the key and the one most likely meant:
 * an option misspelled (`mutualAuth`) or carried over from the Python original
 * (`mutual_authentication`) would otherwise be ignored without a word, and a security property
 * such as mutual authentication silently left off.
 *
 * @param what - how the message names the options, e.g. `'HTTPSPNEGOAuth option'`.
 * @throws {TypeError} for the first unknown key: `unknown HTTPSPNEGOAuth option
 *   "mutual_authentication" (did you mean "mutualAuthentication"?)`.
 */
export function checkOptionKeys(options: object, known: readonly string[], what: string): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const meant = likelyMeant(key, known);
    throw new TypeError(
      `unknown ${what} ${JSON.stringify(key)}${meant ? ` (did you mean ${JSON.stringify(meant)}?)` : ''}`,
    );
  }
}

/** The known key `key` most likely stands for: same letters ignoring case and `_`/`-`, a prefix, or a near miss. */
export function likelyMeant(key: string, known: readonly string[]): string | undefined {
  const plain = (s: string) => s.toLowerCase().replace(/[_-]/g, '');
  const wanted = plain(key);
  const exact = known.find((k) => plain(k) === wanted);
  if (exact) return exact;
  const prefix = known.find((k) => wanted.length >= 4 && plain(k).startsWith(wanted));
  if (prefix) return prefix;
  let best: { key: string; distance: number } | undefined;
  for (const k of known) {
    const distance = editDistance(wanted, plain(k));
    if (distance <= Math.max(1, Math.floor(k.length / 4)) && (!best || distance < best.distance)) {
      best = { key: k, distance };
    }
  }
  return best?.key;
}

/** Levenshtein distance, two rows. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}
