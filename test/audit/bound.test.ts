import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AUDIT_LIMITS, boundRecord } from "../../src/audit/bound.js";
import { canonicalRecord, parseAuditLine } from "../../src/audit/line.js";
import type { AuditFinding, AuditRecord } from "../../src/audit/record.js";
import { generateLog } from "./generate.js";

const { records } = generateLog(3);

describe("audit record caps", () => {
  test("real records pass unchanged", () => {
    for (const r of records) assert.deepEqual(boundRecord(r), r);
  });

  test("the worst case a request can build stays below 400 KiB, and is still a record", () => {
    const huge = "x".repeat(1_000_000);
    const finding: AuditFinding = {
      check: huge,
      requirement: huge,
      protocol: huge,
      ports: huge,
      from: huge,
      to: Array.from({ length: 1000 }, () => huge.slice(0, 10_000)),
      node: huge,
      message: huge,
    };
    const worst: AuditRecord = {
      ...records[0]!,
      decisionId: huge,
      uid: huge,
      user: huge,
      groups: Array.from({ length: 10_000 }, () => huge.slice(0, 10_000)),
      operation: huge,
      apiGroup: huge,
      apiVersion: huge,
      kind: huge,
      name: huge,
      mode: huge,
      overridden: { reason: huge, user: huge },
      violations: Array.from({ length: 1000 }, () => finding),
      fixed: Array.from({ length: 1000 }, () => finding),
      warnings: Array.from({ length: 1000 }, () => huge.slice(0, 10_000)),
      object: { kind: "GlobalNetworkPolicy", spec: { pad: huge } },
      oldObject: { kind: "GlobalNetworkPolicy", spec: { pad: huge } },
    };
    const line = JSON.stringify(canonicalRecord(boundRecord(worst)));
    assert.ok(line.length < 400 * 1024, `${line.length} bytes`);
    const back = parseAuditLine(line);
    assert.ok(back);
    assert.deepEqual(back.truncated, {
      violations: 1000 - AUDIT_LIMITS.findings,
      fixed: 1000 - AUDIT_LIMITS.findings,
      warnings: 1000 - AUDIT_LIMITS.warnings,
      groups: 10_000 - AUDIT_LIMITS.groups,
      object: true,
      oldObject: true,
    });
    assert.match(back.name, /^x{256}… and 999744 more characters$/);
    assert.equal(back.violations[0]!.to!.at(-1), "… and 990 more");
  });
});
