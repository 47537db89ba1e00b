/** `check --cluster` and `audit --cluster` against a local API server replaying the recorded cluster. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FakeApiServer } from "../cluster/fake-apiserver.js";
import { writeKubeconfig } from "../cluster/harness.js";
import { cli } from "../helpers/cli.js";

describe("CLI --cluster", () => {
  test("check --cluster: deleting node-2's HostEndpoint is denied; audit --cluster finds nothing", async (t) => {
    const server = await FakeApiServer.start();
    t.after(() => server.close());
    const kubeconfig = writeKubeconfig(t, server.url);
    const check = await cli(
      "check",
      "--cluster",
      "--kubeconfig",
      kubeconfig,
      "--delete",
      "hostendpoint/node-2",
      "--output",
      "json",
    );
    assert.equal(check.code, 1, check.stderr);
    const json = JSON.parse(check.stdout) as {
      results: { violations: { check: string; node?: string }[] }[];
    };
    assert.ok(json.results[0]!.violations.some((v) => v.check === "node-coverage" && v.node === "node-2"));
    const audit = await cli("audit", "--cluster", "--kubeconfig", kubeconfig);
    assert.equal(audit.code, 0, audit.stdout + audit.stderr);
    assert.match(audit.stdout, /no findings/);
    const explain = await cli(
      "explain",
      "--cluster",
      "--kubeconfig",
      kubeconfig,
      "--from",
      "node-2",
      "--to",
      "node-1",
      "--protocol",
      "TCP",
      "--port",
      "10250",
    );
    assert.equal(explain.code, 0, explain.stderr);
  });

  test("an unreachable cluster is one line and exit 2", async (t) => {
    const server = await FakeApiServer.start();
    const kubeconfig = writeKubeconfig(t, server.url);
    await server.close();
    const r = await cli("audit", "--cluster", "--kubeconfig", kubeconfig);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot read the cluster/);
    assert.equal(r.stderr.trim().split("\n").length, 1);
  });
});
