import { err, ok, type Result } from "../calico/result.js";
import { AUDIT_OUTCOMES } from "./line.js";
import type { AuditFinding, AuditOutcome, AuditRecord } from "./record.js";

/**
 * `hostguard review` as pure functions: which records a reviewer asked for, and what they add up
 * to. No I/O and no clock of its own (relative times are resolved against a `now` passed in).
 */

export interface ReviewFilter {
  /** inclusive */
  readonly since?: Date;
  /** inclusive */
  readonly until?: Date;
  readonly decision?: AuditOutcome;
  /** exact user name */
  readonly user?: string;
  /** as typed: `HostEndpoint`, `hostendpoints`, `hostendpoints.crd.projectcalico.org`, `hep` */
  readonly kind?: string;
  /** exact object name */
  readonly name?: string;
}

/** The filter flags as the operator typed them. */
export interface ReviewFlags {
  readonly since?: string;
  readonly until?: string;
  readonly decision?: string;
  readonly user?: string;
  readonly kind?: string;
  readonly name?: string;
}

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const DURATION = /^(?:\d+(?:ms|s|m|h|d|w))+$/;
const DURATION_PART = /(\d+)(ms|s|m|h|d|w)/g;
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2}))?$/;

/** `90m`, `1h30m`, `2d`: how long ago, in milliseconds; undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(DURATION_PART)) ms += Number(amount) * UNIT_MS[unit!]!;
  return Number.isSafeInteger(ms) ? ms : undefined;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * An RFC 3339 time (`2024-05-01T12:00:00Z`, `…+02:00`, fractions allowed), or a bare date meaning
 * midnight UTC. Checked field by field because `Date.parse` is lenient in ways that would turn a
 * typo into a silently different window.
 */
export function parseRfc3339(text: string): Date | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = "00", mi = "00", s = "00", frac = "", zone = "Z"] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  if (zone.length > 1 && (Number(zone.slice(1, 3)) > 23 || Number(zone.slice(4, 6)) > 59)) return undefined;
  const millis = frac.padEnd(3, "0").slice(0, 3);
  const time = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}.${millis}${zone.toUpperCase()}`);
  return Number.isNaN(time) ? undefined : new Date(time);
}

/** `--since`/`--until`: a duration before `now`, or an RFC 3339 time. */
export function parseTimeBound(text: string, now: Date): Date | undefined {
  const ago = parseDuration(text.trim());
  if (ago !== undefined) return new Date(now.getTime() - ago);
  return parseRfc3339(text.trim());
}

/**
 * Calico's kinds with the aliases calicoctl documents; other kinds (the log records every write the
 * webhook saw) match by their own name and plural.
 */
const KIND_ALIASES: Readonly<Record<string, string>> = {
  gnp: "globalnetworkpolicy",
  gnps: "globalnetworkpolicy",
  hep: "hostendpoint",
  heps: "hostendpoint",
};

function pluralOf(lowerKind: string): string {
  if (/[^aeiou]y$/.test(lowerKind)) return `${lowerKind.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(lowerKind)) return `${lowerKind}es`;
  return `${lowerKind}s`;
}

/** Whether a kind as typed (kubectl style, any case, with or without `.group`) names `recordKind`. */
export function kindMatches(typed: string, recordKind: string): boolean {
  const bare = typed.trim().split(".")[0]!.toLowerCase();
  const wanted = KIND_ALIASES[bare] ?? bare;
  const lower = recordKind.toLowerCase();
  return wanted === lower || wanted === pluralOf(lower) || wanted === `${lower}s`;
}

function nonEmpty(flag: string, value: string | undefined): Result<string | undefined, string> {
  if (value === undefined) return ok(undefined);
  return value.trim() === "" ? err(`--${flag} must not be empty`) : ok(value);
}

/** The filter the flags describe, or a one-line reason they do not describe one. */
export function parseReviewFilter(flags: ReviewFlags, now: Date): Result<ReviewFilter, string> {
  const bound = (flag: "since" | "until"): Result<Date | undefined, string> => {
    const text = flags[flag];
    if (text === undefined) return ok(undefined);
    const date = parseTimeBound(text, now);
    return date
      ? ok(date)
      : err(
          `--${flag} wants a duration like 30m, 1h or 2d, or an RFC 3339 time like 2024-05-01T12:00:00Z; got "${text}"`,
        );
  };
  const since = bound("since");
  if (!since.ok) return since;
  const until = bound("until");
  if (!until.ok) return until;
  if (since.value && until.value && since.value.getTime() > until.value.getTime())
    return err(`--since (${since.value.toISOString()}) is after --until (${until.value.toISOString()})`);
  const decision = flags.decision?.trim().toLowerCase();
  if (decision !== undefined && !AUDIT_OUTCOMES.includes(decision as AuditOutcome))
    return err(`--decision must be one of ${AUDIT_OUTCOMES.join(", ")}; got "${flags.decision}"`);
  const user = nonEmpty("user", flags.user);
  if (!user.ok) return user;
  const kind = nonEmpty("kind", flags.kind);
  if (!kind.ok) return kind;
  const name = nonEmpty("name", flags.name);
  if (!name.ok) return name;
  return ok({
    ...(since.value && { since: since.value }),
    ...(until.value && { until: until.value }),
    ...(decision !== undefined && { decision: decision as AuditOutcome }),
    ...(user.value !== undefined && { user: user.value }),
    ...(kind.value !== undefined && { kind: kind.value }),
    ...(name.value !== undefined && { name: name.value }),
  });
}

export function matchesFilter(r: AuditRecord, f: ReviewFilter): boolean {
  if (f.since || f.until) {
    const t = Date.parse(r.time);
    if (f.since && t < f.since.getTime()) return false;
    if (f.until && t > f.until.getTime()) return false;
  }
  if (f.decision !== undefined && r.decision !== f.decision) return false;
  if (f.user !== undefined && r.user !== f.user) return false;
  if (f.kind !== undefined && !kindMatches(f.kind, r.kind)) return false;
  if (f.name !== undefined && r.name !== f.name) return false;
  return true;
}

/**
 * What a violation is a violation *of*, without the instance details: `required-ports rancher TCP
 * 10250`, `failsafe-ports TCP 22`, `node-coverage node-2`, `calico-valid`. Sources and destinations
 * are left out so that one broken requirement counts once, however many node pairs it cut.
 */
export function violationLabel(f: AuditFinding): string {
  const parts = [f.check, f.requirement, f.protocol, f.ports].filter((p): p is string => p !== undefined);
  // node-coverage findings name no requirement or port: the node is what is violated.
  if (parts.length === 1 && f.node !== undefined) parts.push(f.node);
  return parts.join(" ");
}

export interface DeniedObject {
  readonly kind: string;
  readonly name: string;
  readonly count: number;
}

export interface DeniedUser {
  readonly user: string;
  readonly count: number;
}

export interface ViolationCount {
  readonly violation: string;
  /** decisions that introduced it (each decision counts once) */
  readonly count: number;
  /** of those, the ones denied */
  readonly denied: number;
}

export interface OverrideEntry {
  readonly time: string;
  readonly decisionId: string;
  readonly user: string;
  readonly operation: string;
  readonly kind: string;
  readonly name: string;
  readonly reason: string;
  readonly dryRun: boolean;
  readonly violations: readonly string[];
}

export interface ReviewSummary {
  readonly total: number;
  readonly skippedLines: number;
  /** earliest and latest record time, null with no records */
  readonly from: string | null;
  readonly to: string | null;
  readonly decisions: Readonly<Record<AuditOutcome, number>>;
  readonly dryRuns: number;
  readonly topDeniedObjects: readonly DeniedObject[];
  readonly topDeniedUsers: readonly DeniedUser[];
  readonly topViolations: readonly ViolationCount[];
  /** every override, oldest first */
  readonly overrides: readonly OverrideEntry[];
}

export interface SummaryOptions {
  /** length of the top lists (default 10) */
  readonly top?: number;
  /** lines the reader skipped, carried into the summary */
  readonly skippedLines?: number;
}

export const DEFAULT_TOP = 10;

/** Highest count first; equal counts by key, so the same log always gives the same list. */
function top<T>(counts: ReadonlyMap<string, T>, count: (v: T) => number, n: number): [string, T][] {
  return [...counts.entries()]
    .sort(([ka, a], [kb, b]) => count(b) - count(a) || (ka < kb ? -1 : ka > kb ? 1 : 0))
    .slice(0, n);
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function timeOf(r: AuditRecord): number {
  return Date.parse(r.time);
}

/** The summary of some records (already filtered). */
export function summarize(records: Iterable<AuditRecord>, options: SummaryOptions = {}): ReviewSummary {
  const n = options.top ?? DEFAULT_TOP;
  const decisions: Record<AuditOutcome, number> = { allowed: 0, denied: 0, overridden: 0, warned: 0 };
  const deniedObjects = new Map<string, { kind: string; name: string; count: number }>();
  const deniedUsers = new Map<string, number>();
  const violations = new Map<string, { count: number; denied: number }>();
  const overrides: { at: number; entry: OverrideEntry }[] = [];
  let total = 0;
  let dryRuns = 0;
  let first: AuditRecord | undefined;
  let last: AuditRecord | undefined;
  for (const r of records) {
    total++;
    decisions[r.decision]++;
    if (r.dryRun) dryRuns++;
    if (!first || timeOf(r) < timeOf(first)) first = r;
    if (!last || timeOf(r) >= timeOf(last)) last = r;
    const denied = r.decision === "denied";
    if (denied) {
      // kind and name are joined with "/", which Kubernetes names cannot contain: no collisions.
      const key = `${r.kind}/${r.name}`;
      const seen = deniedObjects.get(key);
      if (seen) seen.count++;
      else deniedObjects.set(key, { kind: r.kind, name: r.name, count: 1 });
      bump(deniedUsers, r.user);
    }
    for (const label of new Set(r.violations.map(violationLabel))) {
      const v = violations.get(label) ?? { count: 0, denied: 0 };
      v.count++;
      if (denied) v.denied++;
      violations.set(label, v);
    }
    if (r.decision === "overridden") {
      overrides.push({
        at: timeOf(r),
        entry: {
          time: r.time,
          decisionId: r.decisionId,
          user: r.user,
          operation: r.operation,
          kind: r.kind,
          name: r.name,
          reason: r.overridden?.reason ?? "",
          dryRun: r.dryRun,
          violations: [...new Set(r.violations.map(violationLabel))],
        },
      });
    }
  }
  return {
    total,
    skippedLines: options.skippedLines ?? 0,
    from: first?.time ?? null,
    to: last?.time ?? null,
    decisions,
    dryRuns,
    topDeniedObjects: top(deniedObjects, (v) => v.count, n).map(([, v]) => ({
      kind: v.kind,
      name: v.name,
      count: v.count,
    })),
    topDeniedUsers: top(deniedUsers, (v) => v, n).map(([user, count]) => ({ user, count })),
    topViolations: top(violations, (v) => v.count, n).map(([violation, v]) => ({
      violation,
      count: v.count,
      denied: v.denied,
    })),
    // Array.prototype.sort is stable: overrides at the same instant keep log order.
    overrides: overrides.sort((a, b) => a.at - b.at).map((o) => o.entry),
  };
}

/** Records in time order; stable, so records with equal times keep their log order. */
export function byTime(records: readonly AuditRecord[]): AuditRecord[] {
  return records
    .map((r, i) => ({ r, i, t: timeOf(r) }))
    .sort((a, b) => a.t - b.t || a.i - b.i)
    .map(({ r }) => r);
}
