import type { Finding } from "./finding.js";

/** What a check says about one change: findings it introduces, ones already there, ones it removes. */
export interface CheckResult {
  readonly introduced: readonly Finding[];
  readonly preExisting: readonly Finding[];
  readonly fixed: readonly Finding[];
  /** extra warnings that are not findings (e.g. networks a GlobalNetworkSet change removes from a requirement) */
  readonly notes: readonly string[];
}

/** For checks whose findings are judged per state: compare by key. */
export function diffByKey(before: readonly Finding[], after: readonly Finding[]): CheckResult {
  const was = new Set(before.map((f) => f.key));
  const now = new Set(after.map((f) => f.key));
  return {
    introduced: after.filter((f) => !was.has(f.key)),
    preExisting: after.filter((f) => was.has(f.key)),
    fixed: before.filter((f) => !now.has(f.key)),
    notes: [],
  };
}
