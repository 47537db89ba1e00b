/**
 * Every `flows:` entry of every suite in ../shared/scenarios gives the expected verdict. Until the
 * suite runner (checks issue) decides the steps itself, the steps the suite expects to be admitted
 * are applied and the ones it expects denied are left out — exactly "a denied step leaves the state
 * unchanged".
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { validateResource } from "../../src/calico/validate-resource.js";
import type { ResourceKind } from "../../src/calico/types.js";
import { explainFlow } from "../../src/engine/explain.js";
import { resolveFlow } from "../../src/engine/flow.js";
import { loadState } from "../../src/engine/load.js";
import type { ClusterState } from "../../src/engine/state.js";
import { readYaml, suiteFiles } from "../helpers/shared.js";

interface Step {
  name?: string;
  apply?: unknown;
  delete?: { kind: ResourceKind; name: string };
  expect?: { allowed?: boolean };
}
interface FlowEntry {
  from: string;
  to: string;
  protocol: string;
  port?: number;
  icmpType?: number;
  path?: string;
  expect: "allow" | "deny";
}
interface Suite {
  name: string;
  state: unknown[] | string;
  steps?: Step[];
  flows?: FlowEntry[];
}

function stateOf(file: string, suite: Suite): ClusterState {
  const objects =
    typeof suite.state === "string" ? (readYaml(join(dirname(file), suite.state)) as unknown[]) : suite.state;
  const loaded = loadState(objects);
  assert.deepEqual(loaded.rejected, [], "suite state loads without rejected objects");
  let state = loaded.state;
  for (const step of suite.steps ?? []) {
    if (step.expect?.allowed === false) continue;
    if (step.delete) {
      state = state.apply({ operation: "DELETE", kind: step.delete.kind, name: step.delete.name });
    } else {
      const object = validateResource(step.apply);
      assert.ok(object.ok, `step "${step.name}" is valid: ${JSON.stringify(object.ok ? [] : object.error)}`);
      state = state.apply({ operation: "UPDATE", object: object.value });
    }
  }
  return state;
}

for (const file of suiteFiles()) {
  const suite = readYaml(file) as Suite;
  describe(`scenario flows: ${suite.name}`, () => {
    const state = stateOf(file, suite);
    for (const f of suite.flows ?? []) {
      const label = `${f.from} → ${f.to} ${f.protocol} ${f.port ?? f.icmpType ?? ""}${f.path ? ` (${f.path})` : ""}: ${f.expect}`;
      test(label, () => {
        const flow = resolveFlow(state, f);
        assert.ok(flow.ok, flow.ok ? "" : flow.error);
        const result = explainFlow(state, flow.value);
        assert.equal(
          result.verdict,
          f.expect,
          `${result.side} ${result.node} ${result.stage}: ${result.reason}`,
        );
      });
    }
  });
}
