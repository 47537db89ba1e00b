/** `hostguard audit --output policyreport`: the findings as a wgpolicyk8s.io/v1alpha2 ClusterPolicyReport. */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { cli } from "../helpers/cli.js";

interface Ref {
  apiVersion: string;
  kind: string;
  name: string;
}
interface Report {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  summary: Record<"pass" | "fail" | "warn" | "error" | "skip", number>;
  results: {
    source: string;
    policy: string;
    rule: string;
    result: string;
    severity: string;
    message: string;
    resources: Ref[];
    properties?: Record<string, string>;
    timestamp: { seconds: number; nanos: number };
  }[];
}

/** The example cluster with one edit to its Calico objects. */
function exampleWith(edit: (calico: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), "hostguard-report-"));
  writeFileSync(join(dir, "nodes.yaml"), readFileSync("examples/cluster/nodes.yaml", "utf8"));
  writeFileSync(join(dir, "calico.yaml"), edit(readFileSync("examples/cluster/calico.yaml", "utf8")));
  return dir;
}

async function report(state: string): Promise<{ code: number; report: Report; findings: unknown[] }> {
  const r = await cli("audit", "--state", state, "--output", "policyreport");
  assert.doesNotMatch(r.stdout, /[&*]a\d/, "no YAML anchors or aliases");
  const json = await cli("audit", "--state", state, "--output", "json");
  assert.equal(r.code, json.code, r.stderr);
  return {
    code: r.code,
    report: parse(r.stdout) as Report,
    findings: (JSON.parse(json.stdout) as { findings: unknown[] }).findings,
  };
}

function wellFormed(rep: Report, findings: number): void {
  assert.equal(rep.apiVersion, "wgpolicyk8s.io/v1alpha2");
  assert.equal(rep.kind, "ClusterPolicyReport");
  assert.equal(rep.metadata.name, "hostguard");
  assert.equal(rep.results.length, findings, "one result per finding");
  const count = (result: string) => rep.results.filter((r) => r.result === result).length;
  assert.deepEqual(rep.summary, { pass: 0, fail: count("fail"), warn: count("warn"), error: 0, skip: 0 });
  for (const r of rep.results) {
    assert.equal(r.source, "hostguard");
    assert.ok(["fail", "warn"].includes(r.result));
    assert.ok(["high", "medium", "low"].includes(r.severity));
    assert.ok(r.message.length > 0);
    assert.ok(r.resources.length > 0, "every result names what it is about");
    assert.ok(Number.isInteger(r.timestamp.seconds) && r.timestamp.seconds > 0);
    assert.ok(Number.isInteger(r.timestamp.nanos) && r.timestamp.nanos >= 0 && r.timestamp.nanos < 1e9);
    for (const v of Object.values(r.properties ?? {})) assert.equal(typeof v, "string");
  }
}

describe("hostguard audit --output policyreport", () => {
  test("no findings: an empty report (applying it clears old results), exit 0", async () => {
    const { code, report: rep } = await report("examples/cluster");
    assert.equal(code, 0);
    wellFormed(rep, 0);
  });

  test("a dropped required port: policy = check, rule = requirement, fail/high, source and destination nodes", async () => {
    const state = exampleWith((calico) => calico.replace("6443, 9099, 10250, 10254", "6443, 9099, 10254"));
    const { code, report: rep, findings } = await report(state);
    assert.equal(code, 1);
    wellFormed(rep, findings.length);
    const kubelet = rep.results.find((r) => r.policy === "required-ports" && r.properties?.ports === "10250");
    assert.ok(kubelet, JSON.stringify(rep.results, null, 1));
    assert.equal(kubelet.rule, "rancher");
    assert.equal(kubelet.result, "fail");
    assert.equal(kubelet.severity, "high");
    assert.equal(kubelet.properties?.protocol, "TCP");
    assert.match(kubelet.message, /10250/);
    assert.ok(
      kubelet.resources.some((r) => r.apiVersion === "v1" && r.kind === "Node" && r.name === "node-1"),
    );
  });

  test("node-coverage: rule falls back to the check id; the node, and an orphan HostEndpoint as a warning", async () => {
    const state = exampleWith((calico) => calico.replace("node: node-3", "node: node-9"));
    const { code, report: rep, findings } = await report(state);
    assert.equal(code, 1);
    wellFormed(rep, findings.length);
    const uncovered = rep.results.find((r) => r.policy === "node-coverage" && r.result === "fail");
    assert.ok(uncovered, JSON.stringify(rep.results, null, 1));
    assert.equal(uncovered.rule, "node-coverage");
    assert.deepEqual(uncovered.resources, [{ apiVersion: "v1", kind: "Node", name: "node-3" }]);
    const orphan = rep.results.find((r) => r.policy === "node-coverage" && r.result === "warn");
    assert.ok(orphan);
    assert.equal(orphan.severity, "low");
    assert.equal(orphan.resources[0]?.kind, "HostEndpoint");
  });

  test("an unknown format is bad input (exit 2)", async () => {
    const r = await cli("audit", "--state", "examples/cluster", "--output", "policy-report");
    assert.equal(r.code, 2);
    assert.match(r.stderr, /text, json or policyreport/);
  });
});
