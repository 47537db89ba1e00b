/** The library API of design §8 answers with result unions, never throws on bad input. */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as hostguard from "../src/index.js";

test("the library API: parse, match, validate, load, explain, decide", () => {
  const sel = hostguard.parseSelector("has(kubernetes-host) && role != 'db'");
  assert.ok(sel.ok);
  assert.equal(hostguard.selectorMatches(sel.value, new Map([["kubernetes-host", ""]])), true);
  assert.equal(hostguard.parseSelector("has(").ok, false);
  assert.equal(hostguard.validateResource({ kind: "HostEndpoint" }).ok, false);
  assert.equal(hostguard.normalize(null).ok, false);
  const { state } = hostguard.loadState([
    {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: "n1" },
      status: { addresses: [{ type: "InternalIP", address: "10.0.0.1" }] },
    },
  ]);
  const flow = hostguard.explainFlow(state, { from: "192.0.2.1", to: "n1", protocol: "TCP", port: 22 });
  assert.ok(flow.ok);
  assert.equal(flow.value.verdict, "allow");
  assert.equal(hostguard.explainFlow(state, { from: "nope", to: "n1", protocol: "TCP", port: 22 }).ok, false);
  const d = hostguard.decide(
    state,
    { operation: "CREATE", kind: "GlobalNetworkSet", name: "x", object: "garbage" },
    hostguard.defaultConfig(),
  );
  assert.equal(d.allowed, false);
});
