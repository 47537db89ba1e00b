import type { Finding } from "../checks/finding.js";
import { GUARDED_KINDS, type Decision } from "../decision/decide.js";
import { canonicalFinding } from "./line.js";
import { auditOutcome, type AuditFinding, type AuditRecord } from "./record.js";

/** What a record needs from a decision (a whole Decision fits; tests can pass less). */
export type AuditedDecision = Pick<
  Decision,
  "allowed" | "mode" | "violations" | "warnings" | "fixed" | "overridden"
>;

/** A decision plus the request metadata the server has (its `ReviewContext` fits). */
export interface AuditInput extends Pick<
  AuditRecord,
  | "decisionId"
  | "uid"
  | "user"
  | "groups"
  | "operation"
  | "apiGroup"
  | "apiVersion"
  | "kind"
  | "name"
  | "dryRun"
  | "durationMs"
  | "object"
  | "oldObject"
> {
  readonly decision: AuditedDecision;
  readonly time: Date | string;
  /** `--audit-include-objects`: without it no object is ever logged */
  readonly includeObjects: boolean;
}

export const LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration";
export const REDACTED = "[redacted]";

/**
 * Keys whose values look like credentials. Calico's guarded kinds carry none, but annotations are
 * free-form and a tool may park a token there; an audit log is read by more people than the
 * cluster's secrets are, so such a value never reaches it.
 */
const SECRET_KEY = /passw(or)?d|secret|token|credential|private[-_.]?key|api[-_.]?key|bearer/i;
const PRIVATE_KEY_PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
/** Deeper than any Calico object; a bound keeps a hostile request from exhausting the stack. */
const MAX_DEPTH = 32;

/** A finding as the audit log (and the CLI's JSON) write it: lists cut, with their counts. */
export function auditFinding(f: Finding): AuditFinding {
  // droppedBy/allowedBefore/fromLabels are for the denial message; the message already says them.
  return canonicalFinding({
    check: f.check,
    requirement: f.requirement,
    protocol: f.protocol,
    ports: f.ports,
    from: f.from,
    fromCount: f.fromAll !== undefined && f.fromAll.length > 1 ? f.fromAll.length : undefined,
    to: f.to,
    node: f.node,
    message: f.message,
  });
}

function scrub(value: unknown, depth: number, path: readonly string[]): unknown {
  if (typeof value === "string") return PRIVATE_KEY_PEM.test(value) ? REDACTED : value;
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_DEPTH) return "[truncated]";
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1, path));
  const inMetadata = path.length === 1 && path[0] === "metadata";
  // Label keys are selector inputs, not secrets, and the reviewer needs them verbatim.
  const isLabels = path.length === 2 && path[0] === "metadata" && path[1] === "labels";
  const isAnnotations = path.length === 2 && path[0] === "metadata" && path[1] === "annotations";
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    // managedFields is server bookkeeping (who touched which field); last-applied is the whole
    // object again. Neither helps a review, and both could carry what the rest of the scrub removes.
    if (inMetadata && key === "managedFields") continue;
    if (isAnnotations && key === LAST_APPLIED_ANNOTATION) continue;
    out[key] = !isLabels && SECRET_KEY.test(key) ? REDACTED : scrub(v, depth + 1, [...path, key]);
  }
  return out;
}

/**
 * A Kubernetes object as the audit log may hold it: a deep copy (the request's object is never
 * touched) without `metadata.managedFields` and the last-applied annotation, with credential-looking
 * values redacted. Only the kinds hostguard guards are logged at all: a misconfigured webhook that
 * sends a Secret must not copy its data into the log.
 */
export function auditObject(object: unknown): unknown {
  if (object === null || typeof object !== "object" || Array.isArray(object)) return undefined;
  const kind = (object as { kind?: unknown }).kind;
  if (typeof kind !== "string" || !GUARDED_KINDS.has(kind)) return undefined;
  return scrub(object, 0, []);
}

function rfc3339(time: Date | string): string {
  const date = typeof time === "string" ? new Date(time) : time;
  // An unparseable time would make the record unreadable by `review`; the write time is close.
  // (`toISOString` throws on an invalid Date, and this runs in the request path.)
  return Number.isNaN(date.getTime()) ? new Date().toISOString() : date.toISOString();
}

/** Milliseconds to the microsecond: enough for latency, short on the line, and always finite. */
function duration(ms: number): number {
  return Number.isFinite(ms) && ms >= 0 ? Math.round(ms * 1000) / 1000 : 0;
}

/**
 * The audit record of one decision. Pure (same input, same record), except that an invalid `time`
 * becomes the current time rather than a record `review` could not place.
 */
export function toAuditRecord(input: AuditInput): AuditRecord {
  const d = input.decision;
  const object = input.includeObjects ? auditObject(input.object) : undefined;
  const oldObject = input.includeObjects ? auditObject(input.oldObject) : undefined;
  return {
    time: rfc3339(input.time),
    decisionId: input.decisionId,
    uid: input.uid,
    user: input.user,
    groups: [...input.groups],
    operation: input.operation,
    apiGroup: input.apiGroup,
    apiVersion: input.apiVersion,
    kind: input.kind,
    name: input.name,
    dryRun: input.dryRun,
    mode: d.mode,
    allowed: d.allowed,
    decision: auditOutcome(d.allowed, d.overridden !== undefined, d.violations.length, d.warnings.length),
    ...(d.overridden !== undefined && {
      overridden: { reason: d.overridden.reason, user: d.overridden.user },
    }),
    violations: d.violations.map(auditFinding),
    warnings: [...d.warnings],
    fixed: d.fixed.map(auditFinding),
    durationMs: duration(input.durationMs),
    ...(object !== undefined && { object }),
    ...(oldObject !== undefined && { oldObject }),
  };
}
