/**
 * The share of the API server's timeout a decision may use (ADR 0009). The API server tells the
 * webhook how long it will wait by appending `?timeout=` to the URL, as a Go duration ("10s"); a
 * decision that cannot finish within the share gets hostguard's own answer, never a timeout.
 */
import { performance } from "node:perf_hooks";
import type { Budget } from "../checks/budget.js";

/** admissionregistration.k8s.io/v1 defaults timeoutSeconds to 10 and allows 1 to 30. */
export const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_TIMEOUT_MS = 30_000;

const UNITS: Readonly<Record<string, number>> = {
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
  us: 0.001,
  µs: 0.001,
  ns: 0.000001,
};

/** A Go duration ("10s", "1m30s", "500ms") in milliseconds, or undefined when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  if (text.length === 0 || text.length > 64) return undefined;
  const part = /(\d+(?:\.\d*)?|\.\d+)(h|ms|m|s|us|µs|ns)/y;
  let total = 0;
  let at = 0;
  while (at < text.length) {
    part.lastIndex = at;
    const m = part.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * UNITS[m[2]!]!;
    at = part.lastIndex;
  }
  return total;
}

/**
 * How long a decision may take when the API server waits `timeout` (the query value, if any): 80 %
 * of it, and at least half a second less, so the answer (serialising, TLS, the network) still
 * arrives in time.
 */
export function decisionBudgetMs(timeout: unknown): number {
  const parsed = typeof timeout === "string" ? parseGoDuration(timeout) : undefined;
  const waits = Math.min(parsed !== undefined && parsed > 0 ? parsed : DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS);
  return Math.max(50, Math.min(waits * 0.8, waits - 500));
}

/** A budget that runs out `ms` after `start` on `clock`. */
export function budgetFrom(start: number, ms: number, clock: () => number = () => performance.now()): Budget {
  const until = start + ms;
  return { expired: () => clock() > until };
}
