import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, test } from "node:test";
import { cli } from "../helpers/cli.js";
import { SCENARIOS_DIR } from "../helpers/shared.js";

const STATE = join(SCENARIOS_DIR, "rancher-cluster.state.yaml");
const base = ["explain", "--state", STATE];

describe("hostguard explain", () => {
  test("an allowed flow: exit 0, text names the deciding stage and policy", async () => {
    const r = await cli(
      ...base,
      "--from",
      "node-2",
      "--to",
      "node-1",
      "--protocol",
      "TCP",
      "--port",
      "10250",
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^ALLOW: TCP port 10250 from node-2 \(172\.18\.10\.2\) to node-1 \(172\.18\.10\.1\)/,
    );
    assert.match(r.stdout, /stage preDNAT/);
    assert.match(r.stdout, /allow-inbound-cluster-internal/);
    assert.match(r.stdout, /trace/);
  });

  test("a denied flow: exit 1, JSON has the stable shape of design §7", async () => {
    const r = await cli(
      ...base,
      "--from",
      "203.0.113.9",
      "--to",
      "node-1",
      "--protocol",
      "tcp",
      "--port",
      "10250",
      "--output",
      "json",
    );
    assert.equal(r.code, 1, r.stderr);
    const json = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(json.verdict, "deny");
    assert.equal(json.side, "ingress");
    assert.equal(json.stage, "profile");
    assert.equal(json.node, "node-1");
    assert.equal(json.hostEndpoint, "node-1");
    assert.ok(Array.isArray(json.trace) && json.trace.length > 0);
    assert.deepEqual(Object.keys(json), [
      "verdict",
      "flow",
      "side",
      "node",
      "hostEndpoint",
      "stage",
      "tier",
      "policy",
      "rule",
      "reason",
      "sides",
      "trace",
    ]);
  });

  test("ICMP and the forward path", async () => {
    const icmp = await cli(
      ...base,
      "--from",
      "node-1",
      "--to",
      "node-3",
      "--protocol",
      "ICMP",
      "--icmp-type",
      "8",
    );
    assert.equal(icmp.code, 0, icmp.stdout + icmp.stderr);
    const fwd = await cli(
      ...base,
      "--from",
      "10.10.0.5",
      "--to",
      "node-3",
      "--protocol",
      "TCP",
      "--port",
      "30080",
      "--path",
      "forward",
    );
    assert.equal(fwd.code, 0, fwd.stdout + fwd.stderr);
  });

  const bad: [string, string[], RegExp][] = [
    ["unknown node", ["--from", "node-9", "--to", "node-1", "--protocol", "TCP", "--port", "22"], /node-9/],
    [
      "malformed IP",
      ["--from", "10.0.0.300", "--to", "node-1", "--protocol", "TCP", "--port", "22"],
      /10\.0\.0\.300/,
    ],
    [
      "unknown protocol",
      ["--from", "node-2", "--to", "node-1", "--protocol", "HTTP", "--port", "80"],
      /protocol/,
    ],
    ["missing flag", ["--from", "node-2", "--to", "node-1", "--port", "80"], /--protocol/],
    [
      "port out of range",
      ["--from", "node-2", "--to", "node-1", "--protocol", "TCP", "--port", "70000"],
      /port/,
    ],
    [
      "port range string",
      ["--from", "node-2", "--to", "node-1", "--protocol", "TCP", "--port", "30000:32767"],
      /port/,
    ],
    ["TCP without a port", ["--from", "node-2", "--to", "node-1", "--protocol", "TCP"], /needs a port/],
    [
      "bad path",
      ["--from", "node-2", "--to", "node-1", "--protocol", "TCP", "--port", "1", "--path", "nat"],
      /path/,
    ],
    [
      "two external ends",
      ["--from", "192.0.2.1", "--to", "192.0.2.2", "--protocol", "TCP", "--port", "1"],
      /node/,
    ],
    [
      "mixed IP families",
      ["--from", "2001:db8::1", "--to", "node-1", "--protocol", "TCP", "--port", "1"],
      /famil/,
    ],
    [
      "bad output",
      ["--from", "node-2", "--to", "node-1", "--protocol", "TCP", "--port", "1", "--output", "yaml"],
      /output/,
    ],
  ];
  for (const [name, args, message] of bad) {
    test(`bad input exits 2 with one line: ${name}`, async () => {
      const r = await cli(...base, ...args);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    });
  }

  test("a state path that does not exist exits 2", async () => {
    const r = await cli(
      "explain",
      "--state",
      "/nonexistent/dir",
      "--from",
      "a",
      "--to",
      "b",
      "--protocol",
      "TCP",
      "--port",
      "1",
    );
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot read/);
  });

  test("the real binary: node dist/cli/main.js explain exits with the verdict's code", () => {
    const r = spawnSync(
      process.execPath,
      [
        "dist/cli/main.js",
        ...base,
        "--from",
        "203.0.113.9",
        "--to",
        "node-2",
        "--protocol",
        "TCP",
        "--port",
        "22",
      ],
      { encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /failsafe/);
  });
});
