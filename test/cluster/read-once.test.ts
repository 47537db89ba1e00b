/** readClusterStateOnce: one list per kind for `check/audit/explain --cluster`; failures as one line. */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { describe, test } from "node:test";
import { readClusterStateOnce } from "../../src/cluster/informer-source.js";
import { RESOURCE_KINDS } from "../../src/calico/types.js";
import { loadState } from "../../src/engine/load.js";
import { capturedClusterObjects } from "../helpers/shared.js";
import { FakeApiServer, statusBody } from "./fake-apiserver.js";
import { writeKubeconfig, type LogLine } from "./harness.js";

const HEPS = "/apis/crd.projectcalico.org/v1/hostendpoints";

describe("readClusterStateOnce", () => {
  test("the recorded cluster, read once; Tier (not served by v3.28) is empty and logged", async (t) => {
    const server = await FakeApiServer.start();
    t.after(() => server.close());
    const logs: LogLine[] = [];
    const result = await readClusterStateOnce({
      kubeconfigPath: writeKubeconfig(t, server.url),
      logger: (level, msg, fields) => logs.push({ level, msg, fields }),
      env: {},
    });
    assert.ok(result.ok, result.ok ? "" : result.error);
    const expected = loadState(capturedClusterObjects()).state;
    for (const kind of RESOURCE_KINDS) {
      assert.deepEqual(
        result.value.state.list(kind).map((r) => r.name),
        expected.list(kind).map((r) => r.name),
        kind,
      );
    }
    assert.deepEqual(result.value.rejected, []);
    assert.deepEqual(
      logs.map((l) => l.msg),
      ["tiers.crd.projectcalico.org: not served by this cluster (not in API discovery); treated as empty"],
    );
    assert.equal(server.watchRequests(HEPS).length, 0, "no watch");
  });

  test("invalid objects are returned as rejected, not thrown", async (t) => {
    const server = await FakeApiServer.start();
    t.after(() => server.close());
    server.emit(HEPS, "ADDED", {
      apiVersion: "crd.projectcalico.org/v1",
      kind: "HostEndpoint",
      metadata: { name: "bad" },
      spec: { node: "node-1", expectedIPs: ["not-an-ip"] },
    });
    const result = await readClusterStateOnce({ kubeconfigPath: writeKubeconfig(t, server.url), env: {} });
    assert.ok(result.ok);
    assert.deepEqual(
      result.value.rejected.map((r) => `${r.kind}/${r.name}`),
      ["HostEndpoint/bad"],
    );
    assert.equal(result.value.state.get("HostEndpoint", "bad"), undefined);
  });

  test("RBAC refusal: one line with the API server's message", async (t) => {
    const server = await FakeApiServer.start();
    t.after(() => server.close());
    const message =
      'hostendpoints.crd.projectcalico.org is forbidden: User "system:serviceaccount:hostguard:hostguard" cannot list resource "hostendpoints" in API group "crd.projectcalico.org" at the cluster scope';
    server.failNextList(HEPS, 403, statusBody(403, "Forbidden", message));
    const result = await readClusterStateOnce({ kubeconfigPath: writeKubeconfig(t, server.url), env: {} });
    assert.ok(!result.ok);
    assert.equal(result.error, `GET ${HEPS}: HTTP 403: ${message}`);
  });

  test("an unreachable API server and a missing kubeconfig: one line each, no throw", async (t) => {
    // A port that was free a moment ago: connection refused.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const down = await readClusterStateOnce({
      kubeconfigPath: writeKubeconfig(t, `http://127.0.0.1:${port}`),
      env: {},
      requestTimeoutMs: 2000,
    });
    assert.ok(!down.ok);
    assert.match(down.error, /^GET http:\/\/127\.0\.0\.1:\d+\/apis: connect ECONNREFUSED/);
    assert.equal(down.error.includes("\n"), false);

    const missing = await readClusterStateOnce({ kubeconfigPath: "/nowhere/kubeconfig", env: {} });
    assert.ok(!missing.ok);
    assert.match(missing.error, /^cannot load kubeconfig \/nowhere\/kubeconfig: /);
  });
});
