import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { cli } from "../helpers/cli.js";
import { SCENARIOS_DIR } from "../helpers/shared.js";

const STATE = "examples/cluster";
const change = (name: string) => join("examples/changes", name);

describe("hostguard check", () => {
  test("a bad change: exit 1 and a denial that names object, port, sources, cause and fix", async () => {
    const r = await cli("check", "--state", STATE, "-f", change("bad-drop-kubelet-port.yaml"));
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^hostguard denied UPDATE GlobalNetworkPolicy allow-inbound-cluster-internal/);
    assert.match(r.stdout, /required-ports \(rancher\): TCP 10250\n/);
    assert.match(r.stdout, /from: node-1 \(172\.18\.10\.1\), node-2/);
    assert.match(r.stdout, /to: all 3 nodes/);
    assert.match(r.stdout, /allowed before by: preDNAT policy allow-inbound-cluster-internal ingress rule 0/);
    assert.match(r.stdout, /Fix: /);
  });

  test("good changes: exit 0", async () => {
    for (const name of [
      "good-add-failsafe-port.yaml",
      "good-allow-node-exporter.yaml",
      "good-add-internal-network.yaml",
    ]) {
      const r = await cli("check", "--state", STATE, "-f", change(name));
      assert.equal(r.code, 0, `${name}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /^ALLOWED /);
    }
  });

  test("JSON has the shape of design §7", async () => {
    const r = await cli(
      "check",
      "--state",
      STATE,
      "-f",
      change("bad-empty-failsafe.yaml"),
      "--output",
      "json",
    );
    assert.equal(r.code, 1);
    const json = JSON.parse(r.stdout) as { allowed: boolean; results: Record<string, unknown>[] };
    assert.equal(json.allowed, false);
    const result = json.results[0]!;
    assert.deepEqual(
      [result.operation, result.kind, result.name, result.allowed],
      ["UPDATE", "FelixConfiguration", "default", false],
    );
    const v = (result.violations as Record<string, unknown>[])[0]!;
    assert.equal(v.check, "failsafe-ports");
    assert.equal(typeof v.message, "string");
    assert.ok(Array.isArray(result.warnings));
  });

  test("--delete accepts kinds as kubectl spells them", async () => {
    for (const spelling of [
      "hostendpoint/node-2",
      "HostEndpoint/node-2",
      "hostendpoints/node-2",
      "hostendpoints.crd.projectcalico.org/node-2",
    ]) {
      const r = await cli("check", "--state", STATE, "--delete", spelling, "--output", "json");
      assert.equal(r.code, 1, `${spelling}: ${r.stderr}`);
      const json = JSON.parse(r.stdout) as { results: { violations: { check: string; node: string }[] }[] };
      assert.ok(json.results[0]!.violations.some((v) => v.check === "node-coverage" && v.node === "node-2"));
    }
  });

  test("multi-document files are decided in order; an admitted change is applied before the next", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hostguard-check-"));
    const file = join(dir, "two.yaml");
    // 1: a new policy allows 10250 from the nodes; 2: the original allow loses 10250 — only safe after 1.
    const extra = `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: kubelet-from-nodes }
spec:
  selector: has(kubernetes-host)
  order: 9
  preDNAT: true
  applyOnForward: true
  ingress: [ { action: Allow, protocol: TCP, source: { selector: "has(kubernetes-host) || role == 'internal-net'" }, destination: { ports: [10250] } } ]
`;
    const { readFileSync } = await import("node:fs");
    writeFileSync(file, `${extra}---\n${readFileSync(change("bad-drop-kubelet-port.yaml"), "utf8")}`);
    const ok = await cli("check", "--state", STATE, "-f", file, "--output", "json");
    assert.equal(ok.code, 0, ok.stdout);
    const reversed = join(dir, "reversed.yaml");
    writeFileSync(reversed, `${readFileSync(change("bad-drop-kubelet-port.yaml"), "utf8")}---\n${extra}`);
    const bad = await cli("check", "--state", STATE, "-f", reversed, "--output", "json");
    assert.equal(bad.code, 1);
    const json = JSON.parse(bad.stdout) as { results: { allowed: boolean }[] };
    assert.deepEqual(
      json.results.map((r) => r.allowed),
      [false, true],
    );
  });

  const bad: [string, string[], RegExp][] = [
    ["no state", ["check", "-f", change("bad-empty-failsafe.yaml")], /--state <path> or --cluster/],
    ["nothing to check", ["check", "--state", STATE], /nothing to check/],
    ["bad delete target", ["check", "--state", STATE, "--delete", "pods/x"], /KIND\/NAME/],
    ["missing file", ["check", "--state", STATE, "-f", "/nonexistent.yaml"], /cannot read/],
    [
      "bad config",
      [
        "check",
        "--state",
        STATE,
        "-f",
        change("bad-empty-failsafe.yaml"),
        "--config",
        join(SCENARIOS_DIR, "rancher-cluster.state.yaml"),
      ],
      /invalid config/,
    ],
    [
      "--state and --cluster",
      ["check", "--state", STATE, "--cluster", "-f", change("bad-empty-failsafe.yaml")],
      /not both/,
    ],
    [
      "--cluster with a kubeconfig that does not exist",
      [
        "check",
        "--cluster",
        "--kubeconfig",
        "/nonexistent/kubeconfig",
        "-f",
        change("bad-empty-failsafe.yaml"),
      ],
      /cannot read the cluster/,
    ],
  ];
  for (const [name, args, message] of bad) {
    test(`bad input exits 2: ${name}`, async () => {
      const r = await cli(...args);
      assert.equal(r.code, 2, r.stdout);
      assert.match(r.stderr, message);
    });
  }
});

describe("hostguard test", () => {
  test("runs the shared scenarios and prints N passed, M failed", async () => {
    const r = await cli("test", SCENARIOS_DIR);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /^\d+ passed, 0 failed$/m);
  });

  test("a failing case shows expected vs got and exits 1; JSON output", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hostguard-suite-"));
    const file = join(dir, "wrong.suite.yaml");
    writeFileSync(
      file,
      `name: wrong on purpose
state: ${join(process.cwd(), "examples/cluster")}
steps:
  - name: this is actually denied
    delete: { kind: HostEndpoint, name: node-2 }
    expect: { allowed: true }
flows:
  - { from: 203.0.113.9, to: node-1, protocol: TCP, port: 10250, expect: allow }
`,
    );
    const r = await cli("test", file);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /FAIL step this is actually denied/);
    assert.match(r.stdout, /expected allowed: true, got allowed: false/);
    assert.match(r.stdout, /FAIL flow 203\.0\.113\.9 → node-1 TCP 10250: allow/);
    assert.match(r.stdout, /^0 passed, 2 failed$/m);
    const json = await cli("test", file, "--output", "json");
    const parsed = JSON.parse(json.stdout) as { passed: number; failed: number };
    assert.deepEqual([parsed.passed, parsed.failed], [0, 2]);
  });

  test("a suite that does not parse is a failed case, not a crash", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hostguard-suite-"));
    writeFileSync(join(dir, "broken.suite.yaml"), "name: x\nsteps: [ { expect: {} } ]\n");
    const r = await cli("test", dir);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /exactly one of apply or delete/);
  });
});

describe("hostguard audit and generate-heps", () => {
  test("audit of the example cluster: no findings, exit 0", async () => {
    const r = await cli("audit", "--state", STATE);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /no findings/);
  });

  test("audit lists current findings and exits 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hostguard-audit-"));
    writeFileSync(
      join(dir, "nodes.yaml"),
      "apiVersion: v1\nkind: Node\nmetadata: { name: lonely, labels: {} }\nstatus: { addresses: [ { type: InternalIP, address: 10.1.1.1 } ] }\n",
    );
    const lonely = await cli("audit", "--state", dir, "--output", "json");
    assert.equal(lonely.code, 1);
    const json = JSON.parse(lonely.stdout) as { findings: { check: string; node: string }[] };
    assert.ok(json.findings.some((f) => f.check === "node-coverage" && f.node === "lonely"));
  });

  test("generate-heps writes HostEndpoints for uncovered nodes with their IPs and their peers' labels", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hostguard-gen-"));
    const { readFileSync } = await import("node:fs");
    writeFileSync(join(dir, "nodes.yaml"), readFileSync("examples/cluster/nodes.yaml", "utf8"));
    writeFileSync(
      join(dir, "calico.yaml"),
      readFileSync("examples/cluster/calico.yaml", "utf8").replace(
        /---\napiVersion: crd.projectcalico.org\/v1\nkind: HostEndpoint\nmetadata: \{ name: node-3[\s\S]*$/,
        "",
      ),
    );
    const r = await cli("generate-heps", "--state", dir, "--interface", "ens3");
    assert.equal(r.code, 0, r.stderr);
    const docs = r.stdout
      .split(/^---$/m)
      .slice(1)
      .map(
        (d) =>
          parse(d) as {
            metadata: { name: string; labels: Record<string, string> };
            spec: Record<string, unknown>;
          },
      );
    assert.equal(docs.length, 1);
    assert.equal(docs[0]!.metadata.name, "node-3-ens3");
    assert.deepEqual(docs[0]!.spec, { node: "node-3", interfaceName: "ens3", expectedIPs: ["172.18.10.3"] });
    assert.equal(docs[0]!.metadata.labels["kubernetes-host"], "");
    // applying it is admitted: the generated HEP is what the runbook needs
    writeFileSync(join(dir, "gen.yaml"), r.stdout);
    const check = await cli("check", "--state", dir, "-f", join(dir, "gen.yaml"));
    assert.equal(check.code, 0, check.stdout);
  });
});
