/**
 * A state's verdicts can be built in slices (server/warmer.ts): a walk stopped by its budget keeps
 * what it finished, the next one goes on from there, and the decisions made on a state built that
 * way equal those on a state built in one go.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Budget } from "../../src/checks/budget.js";
import { defaultConfig } from "../../src/config/index.js";
import { decide, runChecks, type DecisionRequest } from "../../src/decision/decide.js";
import { loadState } from "../../src/engine/load.js";
import { capturedClusterObjects } from "../helpers/shared.js";

const config = defaultConfig();

/** A budget of `n` checks; `used` says how many were asked for. */
function counting(n: number): Budget & { used: number } {
  const b = {
    used: 0,
    expired: () => ++b.used > n,
  };
  return b;
}

function fresh() {
  return loadState(capturedClusterObjects()).state;
}

test("a walk stopped by its budget goes on where it stopped", () => {
  // What a build costs in budget checks: the walk that builds the index, then the judging walk
  // (which alone is what a second run on the same state costs).
  const measured = fresh();
  const whole = counting(Number.MAX_SAFE_INTEGER);
  assert.ok(!runChecks(measured, measured, config, whole).some((r) => r.incomplete));
  const again = counting(Number.MAX_SAFE_INTEGER);
  runChecks(measured, measured, config, again);
  const judging = again.used;
  const indexing = whole.used - judging;
  assert.ok(indexing > 4, `enough checks to slice (${indexing})`);

  // Each slice may spend 60 % of the index walk (and the judging walk): starting over every time,
  // no slice would ever finish; going on from the finished cells, a few do.
  const state = fresh();
  let slices = 0;
  let complete = false;
  while (!complete && slices < 50) {
    slices++;
    const budget = counting(Math.ceil(indexing * 0.6) + judging);
    complete = !runChecks(state, state, config, budget).some((r) => r.incomplete);
  }
  assert.ok(complete, `built in ${slices} slices`);
  assert.ok(slices >= 2, "it was sliced");
  assert.ok(state.peek("per-config:required-ports-denied"), "the index is stored once complete");
});

test("decisions on a state built in slices equal decisions on a state built in one go", () => {
  const sliced = fresh();
  for (let n = 1; runChecks(sliced, sliced, config, counting(n)).some((r) => r.incomplete); n *= 2);
  const whole = fresh();
  const heps = whole.list("HostEndpoint");
  const policies = whole.list("GlobalNetworkPolicy");
  const requests: DecisionRequest[] = [
    ...heps.map((h) => ({ operation: "DELETE" as const, kind: "HostEndpoint", name: h.name })),
    ...policies.map((p) => ({ operation: "DELETE" as const, kind: "GlobalNetworkPolicy", name: p.name })),
  ];
  assert.ok(requests.length > 2);
  for (const request of requests) {
    const a = decide(sliced, request, config);
    const b = decide(whole, request, config);
    const summary = (d: typeof a) => ({
      allowed: d.allowed,
      violations: d.violations.map((f) => f.key).sort(),
      preExisting: d.preExisting.map((f) => f.key).sort(),
    });
    assert.deepEqual(summary(a), summary(b), `${request.kind} ${request.name}`);
  }
});
