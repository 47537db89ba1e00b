/**
 * One audit-log line per decision (the webhook writes it; `hostguard review` reads it). Plain data
 * with stable keys. No secrets, and no full objects unless the operator asks for them.
 */
export type AuditOutcome = "allowed" | "denied" | "overridden" | "warned";

export interface AuditFinding {
  readonly check: string;
  readonly requirement?: string;
  readonly protocol?: string;
  readonly ports?: string;
  readonly from?: string;
  /** how many sources in all, when there are several (`from` is the first) */
  readonly fromCount?: number;
  /** the first MAX_LISTED destinations (checks/name-list.ts) */
  readonly to?: readonly string[];
  /** how many destinations in all, when `to` lists only the first of them */
  readonly toCount?: number;
  readonly node?: string;
  readonly message: string;
}

export interface AuditRecord {
  /** RFC 3339 */
  readonly time: string;
  readonly decisionId: string;
  /** AdmissionReview request uid */
  readonly uid: string;
  readonly user: string;
  readonly groups: readonly string[];
  readonly operation: string;
  /** `crd.projectcalico.org` or `projectcalico.org` */
  readonly apiGroup: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly dryRun: boolean;
  readonly mode: string;
  readonly allowed: boolean;
  readonly decision: AuditOutcome;
  readonly overridden?: { readonly reason: string; readonly user: string };
  readonly violations: readonly AuditFinding[];
  readonly warnings: readonly string[];
  readonly fixed: readonly AuditFinding[];
  readonly durationMs: number;
  /** only with `--audit-include-objects` */
  readonly object?: unknown;
  readonly oldObject?: unknown;
  /** what the size caps left out (src/audit/bound.ts); absent when nothing was */
  readonly truncated?: AuditTruncation;
}

/** Entries left out of each list, and which objects were replaced by their digest. */
export interface AuditTruncation {
  readonly violations?: number;
  readonly fixed?: number;
  readonly warnings?: number;
  readonly groups?: number;
  readonly object?: boolean;
  readonly oldObject?: boolean;
}

/** How a decision reads in the log: overridden and warned are allowed decisions worth a look. */
export function auditOutcome(
  allowed: boolean,
  overridden: boolean,
  violations: number,
  warnings: number,
): AuditOutcome {
  if (!allowed) return "denied";
  if (overridden) return "overridden";
  return violations > 0 || warnings > 0 ? "warned" : "allowed";
}
