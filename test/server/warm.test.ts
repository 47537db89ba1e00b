/**
 * Before the first ready, the server builds the verdicts of the cluster state (the first decision
 * against a state loaded from scratch evaluates every box of it: seconds on a large cluster), so
 * that cost never lands on a review and its timeoutSeconds.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import pino from "pino";
import { StaticStateSource } from "../../src/cluster/state-source.js";
import { loadState } from "../../src/engine/load.js";
import { startTestServer } from "../helpers/server.js";
import { capturedClusterObjects } from "../helpers/shared.js";

const start = (source: StaticStateSource, logger = pino({ level: "silent" })) =>
  startTestServer(source, { logger, watchIntervalMs: 20 });

test("the first /readyz builds the state's verdicts before it answers ready", async () => {
  const state = loadState(capturedClusterObjects()).state;
  const lines: string[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(line) });
  const server = await start(new StaticStateSource(state), logger);
  try {
    assert.equal(state.peek("per-config:required-ports-denied"), undefined, "nothing built before");
    const ready = await fetch(`http://127.0.0.1:${server.probePort}/readyz`);
    assert.equal(ready.status, 200);
    assert.ok(state.peek("per-config:required-ports-denied"), "the state's index of denying boxes");
    assert.equal(lines.filter((l) => l.includes("verdicts of the cluster state built")).length, 1);
    await fetch(`http://127.0.0.1:${server.probePort}/readyz`);
    assert.equal(lines.filter((l) => l.includes("verdicts of the cluster state built")).length, 1, "once");
  } finally {
    await server.close();
  }
});

test("after a change, the changed state's verdicts are built between reviews", async () => {
  const state = loadState(capturedClusterObjects()).state;
  const source = new StaticStateSource(state);
  const server = await start(source);
  try {
    assert.equal((await fetch(`http://127.0.0.1:${server.probePort}/readyz`)).status, 200);
    const hep = state.list("HostEndpoint")[0]!;
    source.recordAdmitted({ operation: "DELETE", kind: "HostEndpoint", name: hep.name });
    const changed = source.current();
    assert.notEqual(changed, state);
    for (let i = 0; i < 100 && !changed.peek("per-config:required-ports-denied"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(changed.peek("per-config:required-ports-denied"), "built without a review");
  } finally {
    await server.close();
  }
});
