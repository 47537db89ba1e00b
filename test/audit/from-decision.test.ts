import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Finding } from "../../src/checks/finding.js";
import { loadStateFromPath } from "../../src/cli/state-input.js";
import { readObjects } from "../../src/cluster/file-source.js";
import { defaultConfig } from "../../src/config/index.js";
import { decide } from "../../src/decision/decide.js";
import {
  LAST_APPLIED_ANNOTATION,
  REDACTED,
  toAuditRecord,
  type AuditedDecision,
  type AuditInput,
} from "../../src/audit/from-decision.js";
import { parseAuditLine } from "../../src/audit/line.js";

const NO_FINDINGS: AuditedDecision = {
  allowed: true,
  mode: "enforce",
  violations: [],
  warnings: [],
  fixed: [],
};

function input(over: Partial<AuditInput> = {}): AuditInput {
  return {
    decision: NO_FINDINGS,
    decisionId: "d-1",
    uid: "uid-1",
    user: "alice",
    groups: ["system:authenticated", "ops"],
    operation: "UPDATE",
    apiGroup: "projectcalico.org",
    apiVersion: "v3",
    kind: "HostEndpoint",
    name: "node-2-eth0",
    dryRun: false,
    durationMs: 3.14159265,
    time: new Date("2024-05-01T10:00:00.123Z"),
    includeObjects: false,
    ...over,
  };
}

const hep = () => ({
  apiVersion: "projectcalico.org/v3",
  kind: "HostEndpoint",
  metadata: {
    name: "node-2-eth0",
    labels: { "kubernetes-host": "", "example.com/token-rotation": "on" },
    annotations: {
      [LAST_APPLIED_ANNOTATION]: '{"apiVersion":"projectcalico.org/v3","kind":"HostEndpoint"}',
      "hostguard.dev/break-glass": "maintenance",
      "example.com/api-token": "s3cr3t",
      "example.com/cert": "-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----",
    },
    managedFields: [{ manager: "kubectl", operation: "Apply", fieldsV1: { "f:spec": {} } }],
  },
  spec: { node: "node-2", interfaceName: "eth0", expectedIPs: ["10.0.0.2"] },
});

describe("toAuditRecord", () => {
  test("request metadata and decision fields land where the contract says", () => {
    const r = toAuditRecord(input());
    assert.deepEqual(r, {
      time: "2024-05-01T10:00:00.123Z",
      decisionId: "d-1",
      uid: "uid-1",
      user: "alice",
      groups: ["system:authenticated", "ops"],
      operation: "UPDATE",
      apiGroup: "projectcalico.org",
      apiVersion: "v3",
      kind: "HostEndpoint",
      name: "node-2-eth0",
      dryRun: false,
      mode: "enforce",
      allowed: true,
      decision: "allowed",
      violations: [],
      warnings: [],
      fixed: [],
      durationMs: 3.142,
    });
    assert.deepEqual(parseAuditLine(JSON.stringify(r)), r, "the record is a valid line");
  });

  test("decision: denied, overridden (with reason and user), warned", () => {
    const v: Finding = { check: "node-coverage", key: "k", severity: "violation", node: "n1", message: "m" };
    const denied = toAuditRecord(input({ decision: { ...NO_FINDINGS, allowed: false, violations: [v] } }));
    assert.equal(denied.decision, "denied");
    const overridden = toAuditRecord(
      input({
        decision: { ...NO_FINDINGS, violations: [v], overridden: { reason: "outage 42", user: "alice" } },
      }),
    );
    assert.equal(overridden.decision, "overridden");
    assert.deepEqual(overridden.overridden, { reason: "outage 42", user: "alice" });
    assert.equal(
      toAuditRecord(input({ decision: { ...NO_FINDINGS, mode: "warn", violations: [v] } })).decision,
      "warned",
    );
    assert.equal(
      toAuditRecord(input({ decision: { ...NO_FINDINGS, warnings: ["already: x"] } })).decision,
      "warned",
    );
  });

  test("findings of a real denial: the contract's fields only, no droppedBy/allowedBefore blobs", () => {
    const state = loadStateFromPath("examples/cluster").state;
    const objects = readObjects("examples/changes/bad-drop-kubelet-port.yaml");
    assert.ok(objects.ok);
    const object = objects.value[0];
    const d = decide(
      state,
      { operation: "UPDATE", kind: "GlobalNetworkPolicy", name: "allow-inbound-cluster-internal", object },
      defaultConfig(),
    );
    assert.equal(d.allowed, false);
    assert.ok(
      d.violations.some((f) => f.droppedBy !== undefined),
      "the decision has the blobs",
    );
    const r = toAuditRecord(
      input({ decision: d, kind: "GlobalNetworkPolicy", object, includeObjects: false }),
    );
    assert.equal(r.decision, "denied");
    assert.ok(r.violations.length > 0);
    const allowedKeys = [
      "check",
      "requirement",
      "protocol",
      "ports",
      "from",
      "fromCount",
      "to",
      "toCount",
      "node",
      "message",
    ];
    for (const f of [...r.violations, ...r.fixed]) {
      for (const key of Object.keys(f)) assert.ok(allowedKeys.includes(key), `unexpected key ${key}`);
    }
    const v = r.violations.find((f) => f.ports === "10250")!;
    assert.equal(v.check, "required-ports");
    assert.equal(v.protocol, "TCP");
    const line = JSON.stringify(r);
    for (const blob of ["droppedBy", "allowedBefore", "fromLabel", "severity", '"key"']) {
      assert.ok(!line.includes(blob), `${blob} leaked`);
    }
  });

  test("objects are left out unless asked for", () => {
    const r = toAuditRecord(input({ object: hep(), oldObject: hep() }));
    assert.ok(!("object" in r) && !("oldObject" in r));
    assert.ok(!JSON.stringify(r).includes("interfaceName"));
  });

  test("included objects: managedFields and last-applied stripped, credentials redacted, input untouched", () => {
    const object = hep();
    const before = structuredClone(object);
    const r = toAuditRecord(input({ object, oldObject: hep(), includeObjects: true }));
    assert.deepEqual(object, before, "the request's object is not modified");
    for (const logged of [r.object, r.oldObject]) {
      // typed loosely: the point is that keys the input has are gone
      const o = logged as {
        metadata: Record<string, unknown> & {
          annotations: Record<string, string>;
          labels: Record<string, string>;
        };
        spec: unknown;
      };
      assert.ok(o, "included");
      assert.ok(!("managedFields" in o.metadata));
      assert.ok(!(LAST_APPLIED_ANNOTATION in o.metadata.annotations));
      assert.equal(o.metadata.annotations["hostguard.dev/break-glass"], "maintenance");
      assert.equal(o.metadata.annotations["example.com/api-token"], REDACTED);
      assert.equal(o.metadata.annotations["example.com/cert"], REDACTED);
      assert.deepEqual(o.metadata.labels, before.metadata.labels, "labels are selector inputs: verbatim");
      assert.deepEqual(o.spec, before.spec);
    }
    const line = JSON.stringify(r);
    for (const leak of ["s3cr3t", "PRIVATE KEY", "managedFields", "last-applied", "fieldsV1"]) {
      assert.ok(!line.includes(leak), `${leak} leaked`);
    }
  });

  test("a kind hostguard does not guard is never logged, even when objects are asked for", () => {
    const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "x" }, data: { password: "aGk=" } };
    const r = toAuditRecord(input({ kind: "Secret", object: secret, includeObjects: true }));
    assert.ok(!("object" in r));
  });

  test("DELETE has only the old object; an absent object adds no key", () => {
    const r = toAuditRecord(
      input({ operation: "DELETE", object: null, oldObject: hep(), includeObjects: true }),
    );
    assert.ok(!("object" in r));
    assert.equal((r.oldObject as { kind: string }).kind, "HostEndpoint");
  });

  test("durations and times are always valid on the line", () => {
    assert.equal(toAuditRecord(input({ durationMs: Number.NaN })).durationMs, 0);
    assert.equal(
      toAuditRecord(input({ time: "2024-05-01T12:00:00+02:00" })).time,
      "2024-05-01T10:00:00.000Z",
    );
    assert.ok(!Number.isNaN(Date.parse(toAuditRecord(input({ time: "not a time" })).time)));
  });
});
