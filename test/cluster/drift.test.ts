/**
 * The periodic full relist (issue 13, point 4): a watch that resumed from an old resourceVersion
 * after etcd was wiped or restored delivers nothing for what changed, so only a fresh list shows it.
 * The fake API server's content is switched without any watch event; the relist (a short interval
 * here) must find the drift, count it, log it and replace the state. Waits poll, bounded.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Registry } from "prom-client";
import { relistIntervalMs } from "../../src/cli/serve.js";
import { registerStateMetrics } from "../../src/server/state-metrics.js";
import { cluster, names, waitFor } from "./harness.js";

const HEPS = "/apis/crd.projectcalico.org/v1/hostendpoints";
const GNPS = "/apis/crd.projectcalico.org/v1/globalnetworkpolicies";

test("etcd restored behind the watch: the relist finds the drift and the state converges", async (t) => {
  const c = await cluster(t, { source: { relistIntervalMs: 50 } });
  assert.deepEqual(names(c.source, "HostEndpoint"), ["node-1", "node-2", "node-3"]);
  // The restored etcd: node-3's HostEndpoint is gone and node-1's has other labels under the SAME
  // resourceVersion (revisions are reused after a restore), and no watch event says so.
  c.server.mutateSilently(HEPS, (items) => {
    items.delete("node-3");
    const node1 = items.get("node-1")!;
    items.set("node-1", { ...node1, metadata: { ...node1.metadata, labels: { restored: "yes" } } });
  });
  assert.equal(c.source.ageSeconds(), 0, "the watches are open: the age alone cannot tell");

  await waitFor(
    () =>
      names(c.source, "HostEndpoint").join() === "node-1,node-2" &&
      c.source.current().get("HostEndpoint", "node-1")?.labels.get("restored") === "yes",
    "the state to converge on the API server's content",
    c.source,
    30_000,
  );
  const hep = c.source.status().kinds.find((k) => k.kind === "HostEndpoint")!;
  assert.equal(hep.drift, 2, "node-3 gone, node-1 changed");
  assert.ok(
    c.logs.some((l) => l.level === "warn" && /periodic relist: 2 object\(s\) differ/.test(l.msg)),
    "logged",
  );
  const registry = new Registry();
  registerStateMetrics(registry, c.source);
  const text = await registry.metrics();
  assert.match(text, /hostguard_state_drift_total\{kind="HostEndpoint"\} 2/);
  assert.match(text, /hostguard_state_drift_total\{kind="GlobalNetworkPolicy"\} 0/);
});

test("a relist that finds nothing new leaves the state as it is", async (t) => {
  const c = await cluster(t, { source: { relistIntervalMs: 50 } });
  const state = c.source.current();
  const lists = () => c.server.listRequests(GNPS).length;
  const first = lists();
  await waitFor(() => lists() >= first + 2, "two more relists", c.source, 30_000);
  assert.equal(c.source.current(), state, "the same state instance: nothing rebuilt");
  assert.ok(c.source.status().kinds.every((k) => k.drift === 0));
});

test("the relist interval: --relist-interval, else HOSTGUARD_RELIST_INTERVAL_SECONDS, else 10 minutes; 0 disables", () => {
  assert.equal(relistIntervalMs(undefined, {}), 600_000);
  assert.equal(relistIntervalMs(undefined, { HOSTGUARD_RELIST_INTERVAL_SECONDS: "120" }), 120_000);
  assert.equal(relistIntervalMs("0", { HOSTGUARD_RELIST_INTERVAL_SECONDS: "120" }), 0);
  for (const bad of ["-1", "ten", ""])
    assert.throws(() => relistIntervalMs(bad, {}), /--relist-interval must be/);
});
