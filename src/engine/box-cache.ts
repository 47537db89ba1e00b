/**
 * Verdicts of boxes (engine/classes.ts) by content key (engine/signatures.ts), shared by every
 * state: a box whose inputs are the same in two states has the same verdicts, so the base state's
 * boxes serve every write decided against it, and the state after the change only evaluates the
 * boxes the change touched (ADR 0008).
 *
 * Keys are two-level (row: port spec and source side; column: destination side) so that the loops
 * over classes reuse the same key strings and V8 hashes each once. Memory is bounded by two
 * generations: entries used recently stay, the rest go when the young generation fills up.
 */
import type { BoxSegment } from "./classes.js";

export interface CachedBox {
  readonly segments: readonly BoxSegment[];
  /** some flow of the box is denied (the only boxes that make findings) */
  readonly anyDenied: boolean;
}

type Generation = Map<string, Map<string, CachedBox>>;

/** Young-generation size (boxes) before it becomes the old one; at most twice this is kept. */
const GENERATION_SIZE = 60_000;

export const boxStats = { misses: 0, lookups: 0 };
let young: Generation = new Map();
let old: Generation = new Map();
let youngSize = 0;

function put(row: string, column: string, box: CachedBox): void {
  if (youngSize >= GENERATION_SIZE) {
    old = young;
    young = new Map();
    youngSize = 0;
  }
  let r = young.get(row);
  if (!r) young.set(row, (r = new Map()));
  r.set(column, box);
  youngSize++;
}

export function cachedBox(row: string, column: string, compute: () => readonly BoxSegment[]): CachedBox {
  boxStats.lookups++;
  const hit = young.get(row)?.get(column);
  if (hit) return hit;
  const promoted = old.get(row)?.get(column);
  if (promoted) {
    put(row, column, promoted);
    return promoted;
  }
  boxStats.misses++;
  if (process.env.HG_DEBUG_MISS) console.error("MISS", row.slice(0, 200), "||", column.slice(0, 200));
  const segments = compute();
  const box = { segments, anyDenied: segments.some((s) => s.outcome.verdict === "deny") };
  put(row, column, box);
  return box;
}

/** Forget every cached box (tests that measure evaluation itself). */
export function clearBoxCache(): void {
  young = new Map();
  old = new Map();
  youngSize = 0;
}
