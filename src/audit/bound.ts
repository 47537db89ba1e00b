import { createHash } from "node:crypto";
import { capList, capStrings, capText } from "../admission/bounded.js";
import type { AuditFinding, AuditRecord, AuditTruncation } from "./record.js";

/**
 * An audit line of bounded size, whatever the request held. Without it a 2 MB invalid
 * FelixConfiguration made one 13 MB line (60,000 findings), and a handful of those rotated the
 * whole audit history away. Every string is capped, lists keep their first entries, objects over
 * a size limit are replaced by their digest; what was left out is counted in `truncated`.
 *
 * With these limits a line stays below 400 KiB (40 findings of at most ~6.5 KiB, 50 groups and 50
 * warnings of at most 256 characters, two objects of at most 32 KiB; test/audit/bound.test.ts
 * builds the worst case); a real decision is far below every limit and passes unchanged.
 */
export const AUDIT_LIMITS = {
  /** request fields (user, name, uid, kind...), warnings, and finding fields other than the message */
  field: 256,
  message: 2048,
  findings: 20,
  /** node names in a finding's `to` */
  targets: 10,
  groups: 50,
  warnings: 50,
  /** serialized size of `object` and `oldObject` each */
  objectBytes: 32 * 1024,
} as const;

const field = (s: string) => capText(s, AUDIT_LIMITS.field);
const optional = (s: string | undefined) => (s === undefined ? undefined : field(s));

function boundFinding(f: AuditFinding): AuditFinding {
  return {
    check: field(f.check),
    ...(f.requirement !== undefined && { requirement: optional(f.requirement) }),
    ...(f.protocol !== undefined && { protocol: optional(f.protocol) }),
    ...(f.ports !== undefined && { ports: optional(f.ports) }),
    ...(f.from !== undefined && { from: optional(f.from) }),
    ...(f.to !== undefined && { to: capStrings(f.to, AUDIT_LIMITS.targets, AUDIT_LIMITS.field) }),
    ...(f.node !== undefined && { node: optional(f.node) }),
    message: capText(f.message, AUDIT_LIMITS.message),
  };
}

/** The object itself when small enough, else a stand-in that still identifies it. */
function boundObject(object: unknown): { value: unknown; truncated: boolean } {
  if (object === undefined) return { value: undefined, truncated: false };
  const text = JSON.stringify(object) ?? "";
  if (text.length <= AUDIT_LIMITS.objectBytes) return { value: object, truncated: false };
  const bytes = Buffer.byteLength(text);
  const sha256 = createHash("sha256").update(text).digest("hex");
  return { value: { truncated: true, bytes, sha256 }, truncated: true };
}

export function boundRecord(r: AuditRecord): AuditRecord {
  const violations = capList(r.violations, AUDIT_LIMITS.findings, boundFinding);
  const fixed = capList(r.fixed, AUDIT_LIMITS.findings, boundFinding);
  const warnings = capList(r.warnings, AUDIT_LIMITS.warnings, field);
  const groups = capList(r.groups, AUDIT_LIMITS.groups, field);
  const object = boundObject(r.object);
  const oldObject = boundObject(r.oldObject);
  const counts: AuditTruncation = {
    ...(violations.dropped > 0 && { violations: violations.dropped }),
    ...(fixed.dropped > 0 && { fixed: fixed.dropped }),
    ...(warnings.dropped > 0 && { warnings: warnings.dropped }),
    ...(groups.dropped > 0 && { groups: groups.dropped }),
    ...(object.truncated && { object: true }),
    ...(oldObject.truncated && { oldObject: true }),
  };
  const truncated = { ...r.truncated, ...counts };
  return {
    ...r,
    decisionId: field(r.decisionId),
    uid: field(r.uid),
    user: field(r.user),
    groups: groups.kept,
    operation: field(r.operation),
    apiGroup: field(r.apiGroup),
    apiVersion: field(r.apiVersion),
    kind: field(r.kind),
    name: field(r.name),
    mode: field(r.mode),
    ...(r.overridden !== undefined && {
      overridden: {
        reason: capText(r.overridden.reason, AUDIT_LIMITS.message),
        user: field(r.overridden.user),
      },
    }),
    violations: violations.kept,
    warnings: warnings.kept,
    fixed: fixed.kept,
    ...(object.value !== undefined && { object: object.value }),
    ...(oldObject.value !== undefined && { oldObject: oldObject.value }),
    ...(Object.keys(truncated).length > 0 && { truncated }),
  };
}
