/** Small statistics for benchmark samples. Inputs are never mutated. */

/** The value below which `p` percent of the samples fall (nearest rank); NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** The median; NaN for no samples. */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Field by field over several rounds of one summary: the median of every numeric field, except
 * the `summed` ones (failure counts), which are added up.
 */
export function medianFields<T extends { readonly [K in keyof T]: number }>(
  runs: readonly T[],
  summed: readonly (keyof T)[],
): T {
  const first = runs[0];
  if (!first) throw new TypeError('medianFields needs at least one run');
  const out = {} as Record<keyof T, number>;
  for (const key of Object.keys(first) as (keyof T)[]) {
    const values: number[] = runs.map((r) => r[key]);
    out[key] = summed.includes(key) ? values.reduce((a, b) => a + b, 0) : median(values);
  }
  return out as T;
}

export function max(samples: readonly number[]): number {
  return samples.length === 0 ? Number.NaN : samples.reduce((a, b) => Math.max(a, b));
}

export function min(samples: readonly number[]): number {
  return samples.length === 0 ? Number.NaN : samples.reduce((a, b) => Math.min(a, b));
}

/** Rounds for display and JSON: `digits` decimals, NaN kept as null. */
export function round(value: number, digits = 2): number | null {
  if (!Number.isFinite(value)) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
