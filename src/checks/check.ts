import type { GuardConfig } from "../config/types.js";
import type { ClusterState } from "../engine/state.js";
import type { Finding } from "./finding.js";

/**
 * A check's view of one state under one config, computed once: the webhook decides many writes
 * against the same base state and config.
 */
export function perConfig<T>(state: ClusterState, config: GuardConfig, key: string, compute: () => T): T {
  const byConfig = state.memo(`per-config:${key}`, () => new WeakMap<GuardConfig, { value: T }>());
  let entry = byConfig.get(config);
  if (!entry) byConfig.set(config, (entry = { value: compute() }));
  return entry.value;
}

/** A perConfig value of the state, if it was computed. */
export function peekPerConfig<T>(state: ClusterState, config: GuardConfig, key: string): T | undefined {
  return state.peek<WeakMap<GuardConfig, { value: T }>>(`per-config:${key}`)?.get(config)?.value;
}

/** What a check says about one change: findings it introduces, ones already there, ones it removes. */
export interface CheckResult {
  readonly introduced: readonly Finding[];
  readonly preExisting: readonly Finding[];
  readonly fixed: readonly Finding[];
  /** extra warnings that are not findings (e.g. networks a GlobalNetworkSet change removes from a requirement) */
  readonly notes: readonly string[];
  /** the check ran out of its budget (checks/budget.ts): its lists are empty, not verdicts */
  readonly incomplete?: boolean;
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
