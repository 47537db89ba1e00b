import { MAX_LISTED } from "../checks/name-list.js";
import type { AuditFinding, AuditOutcome, AuditRecord } from "./record.js";

/**
 * The audit line as data: the one key order the sink writes and the one shape the reader accepts.
 * Both sides go through here so that what `review` reads back is exactly what the webhook wrote.
 */

export const AUDIT_OUTCOMES: readonly AuditOutcome[] = ["allowed", "denied", "overridden", "warned"];

/** A finding's keys in the order they are written (the order of `AuditFinding` in record.ts). */
export function canonicalFinding(f: AuditFinding): AuditFinding {
  // A finding can name thousands of nodes; the line lists the first of them and says how many.
  const toCount = f.toCount ?? (f.to !== undefined && f.to.length > MAX_LISTED ? f.to.length : undefined);
  return {
    check: f.check,
    ...(f.requirement !== undefined && { requirement: f.requirement }),
    ...(f.protocol !== undefined && { protocol: f.protocol }),
    ...(f.ports !== undefined && { ports: f.ports }),
    ...(f.from !== undefined && { from: f.from }),
    ...(f.fromCount !== undefined && { fromCount: f.fromCount }),
    ...(f.to !== undefined && { to: f.to.slice(0, MAX_LISTED) }),
    ...(toCount !== undefined && { toCount }),
    ...(f.node !== undefined && { node: f.node }),
    message: f.message,
  };
}

/**
 * A record with its keys in the written order (the order of `AuditRecord` in record.ts), whatever
 * order the caller built it in, and without keys the contract does not have. Stable keys make the
 * log diffable and let line-oriented tools (grep, jq -c) treat equal records as equal lines.
 */
export function canonicalRecord(r: AuditRecord): AuditRecord {
  return {
    time: r.time,
    decisionId: r.decisionId,
    uid: r.uid,
    user: r.user,
    groups: [...r.groups],
    operation: r.operation,
    apiGroup: r.apiGroup,
    apiVersion: r.apiVersion,
    kind: r.kind,
    name: r.name,
    dryRun: r.dryRun,
    mode: r.mode,
    allowed: r.allowed,
    decision: r.decision,
    ...(r.overridden !== undefined && {
      overridden: { reason: r.overridden.reason, user: r.overridden.user },
    }),
    violations: r.violations.map(canonicalFinding),
    warnings: [...r.warnings],
    fixed: r.fixed.map(canonicalFinding),
    durationMs: r.durationMs,
    ...(r.object !== undefined && { object: r.object }),
    ...(r.oldObject !== undefined && { oldObject: r.oldObject }),
    ...(r.truncated !== undefined && { truncated: { ...r.truncated } }),
  };
}

type Fields = Readonly<Record<string, unknown>>;

function isFields(v: unknown): v is Fields {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === "string");
}

function optionalString(o: Fields, key: string): boolean {
  return o[key] === undefined || typeof o[key] === "string";
}

function parseFinding(v: unknown): AuditFinding | undefined {
  if (!isFields(v) || typeof v.check !== "string" || typeof v.message !== "string") return undefined;
  for (const key of ["requirement", "protocol", "ports", "from", "node"]) {
    if (!optionalString(v, key)) return undefined;
  }
  if (v.to !== undefined && !isStringArray(v.to)) return undefined;
  for (const key of ["fromCount", "toCount"]) {
    if (v[key] !== undefined && !(Number.isInteger(v[key]) && (v[key] as number) > 0)) return undefined;
  }
  return canonicalFinding(v as unknown as AuditFinding);
}

function parseFindings(v: unknown): AuditFinding[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: AuditFinding[] = [];
  for (const item of v) {
    const f = parseFinding(item);
    if (!f) return undefined;
    out.push(f);
  }
  return out;
}

const STRING_KEYS = [
  "time",
  "decisionId",
  "uid",
  "user",
  "operation",
  "apiGroup",
  "apiVersion",
  "kind",
  "name",
  "mode",
] as const;

/**
 * The record a parsed line holds, or undefined when it is not one: every key of the contract with
 * its type, a parseable `time` and a known `decision`. Extra keys (pino's `level`, keys a newer
 * writer may add) are dropped rather than rejected, so an old `review` still reads a newer log.
 */
export function parseAuditRecord(v: unknown): AuditRecord | undefined {
  if (!isFields(v)) return undefined;
  for (const key of STRING_KEYS) if (typeof v[key] !== "string") return undefined;
  if (Number.isNaN(Date.parse(v.time as string))) return undefined;
  if (!isStringArray(v.groups) || !isStringArray(v.warnings)) return undefined;
  if (typeof v.dryRun !== "boolean" || typeof v.allowed !== "boolean") return undefined;
  if (!AUDIT_OUTCOMES.includes(v.decision as AuditOutcome)) return undefined;
  if (typeof v.durationMs !== "number" || !Number.isFinite(v.durationMs)) return undefined;
  const overridden = v.overridden;
  if (
    overridden !== undefined &&
    !(isFields(overridden) && typeof overridden.reason === "string" && typeof overridden.user === "string")
  )
    return undefined;
  if (v.truncated !== undefined && !isFields(v.truncated)) return undefined;
  const violations = parseFindings(v.violations);
  const fixed = parseFindings(v.fixed);
  if (!violations || !fixed) return undefined;
  return canonicalRecord({ ...(v as unknown as AuditRecord), violations, fixed });
}

/** One line of the log as a record, or undefined for anything else (blank, torn, other JSON). */
export function parseAuditLine(line: string): AuditRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  return parseAuditRecord(value);
}
