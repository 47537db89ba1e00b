/** Latency summaries. Percentiles by nearest rank on the sorted samples (no interpolation). */
export interface Summary {
  readonly n: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
  readonly meanMs: number | null;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? null;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const r = (v: number | null) => (v === null ? null : round(v));
  return {
    n,
    p50Ms: r(percentile(sorted, 50)),
    p95Ms: r(percentile(sorted, 95)),
    p99Ms: r(percentile(sorted, 99)),
    maxMs: r(n === 0 ? null : (sorted[n - 1] ?? null)),
    meanMs: r(n === 0 ? null : sorted.reduce((a, b) => a + b, 0) / n),
  };
}

export const MIB = 1024 * 1024;

export function mib(bytes: number): number {
  return Math.round((bytes / MIB) * 10) / 10;
}
