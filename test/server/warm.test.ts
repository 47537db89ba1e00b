/**
 * Before the first ready, the server builds the verdicts of the cluster state (the first decision
 * against a state loaded from scratch evaluates every box of it: seconds on a large cluster), so
 * that cost never lands on a review and its timeoutSeconds — in slices between reviews
 * (server/warmer.ts), never inside /readyz.
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

async function readyWithin(port: number, ms: number): Promise<Response> {
  const deadline = Date.now() + ms;
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    if (res.status === 200 || Date.now() > deadline) return res;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test("ready once the state's verdicts are built, in slices outside the probe", async () => {
  const state = loadState(capturedClusterObjects()).state;
  const lines: string[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(line) });
  const server = await start(new StaticStateSource(state), logger);
  try {
    const ready = await readyWithin(server.probePort, 60_000);
    assert.equal(ready.status, 200);
    assert.ok(state.peek("per-config:required-ports-denied"), "the state's index of denying boxes");
    const built = lines.filter((l) => l.includes("verdicts of the cluster state built"));
    assert.equal(built.length, 1);
    assert.ok((JSON.parse(built[0]!) as { slices: number }).slices >= 1);
    await fetch(`http://127.0.0.1:${server.probePort}/readyz`);
    assert.equal(lines.filter((l) => l.includes("verdicts of the cluster state built")).length, 1, "once");
  } finally {
    await server.close();
  }
});

test("/readyz answers 'not ready' with the reason while the verdicts are not built", async () => {
  const state = loadState(capturedClusterObjects()).state;
  const source = new StaticStateSource(state);
  const server = await start(source);
  try {
    const first = await fetch(`http://127.0.0.1:${server.probePort}/readyz`);
    // Either still building (503 with the reason) or already done: never engine work in the handler.
    if (first.status === 503) {
      assert.match(((await first.json()) as { reason: string }).reason, /building the verdicts/);
    } else assert.equal(first.status, 200);
    assert.equal((await readyWithin(server.probePort, 60_000)).status, 200);
  } finally {
    await server.close();
  }
});

test("after a change, the changed state's verdicts are built between reviews", async () => {
  const state = loadState(capturedClusterObjects()).state;
  const source = new StaticStateSource(state);
  const server = await start(source);
  try {
    assert.equal((await readyWithin(server.probePort, 60_000)).status, 200);
    const hep = state.list("HostEndpoint")[0]!;
    source.recordAdmitted({ operation: "DELETE", kind: "HostEndpoint", name: hep.name });
    const changed = source.current();
    assert.notEqual(changed, state);
    // Polled with a generous deadline (a fixed count of 100 polls was 2 s on a quiet machine).
    const deadline = Date.now() + 60_000;
    while (!changed.peek("per-config:required-ports-denied") && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(changed.peek("per-config:required-ports-denied"), "built without a review");
  } finally {
    await server.close();
  }
});
