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
  /** some flow of the box is denied (the only boxes that make findings) */
  readonly anyDenied: boolean;
  /**
   * Kept only for boxes that deny something. An all-allowed box of a network source can hold
   * thousands of pieces (its range cut at every node address); it is read again only when the
   * same box in the other state denies, and is then evaluated again.
   */
  readonly segments?: readonly BoxSegment[];
}

type Generation = Map<string, Map<string, CachedBox>>;

/** Young-generation size (boxes) before it becomes the old one; at most twice this is kept. */
const GENERATION_SIZE = 150_000;

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
  const hit = young.get(row)?.get(column);
  if (hit) return hit;
  const promoted = old.get(row)?.get(column);
  if (promoted) {
    put(row, column, promoted);
    return promoted;
  }
  const segments = compute();
  const anyDenied = segments.some((s) => s.outcome.verdict === "deny");
  const box: CachedBox = anyDenied ? { anyDenied, segments } : { anyDenied };
  put(row, column, box);
  return box;
}

/** Forget every cached box (tests that measure evaluation itself). */
export function clearBoxCache(): void {
  young = new Map();
  old = new Map();
  youngSize = 0;
}
