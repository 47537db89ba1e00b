import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import { explainFlow, type FlowExplanation } from "../../src/engine/explain.js";
import { resolveFlow, type FlowSpec } from "../../src/engine/flow.js";
import { loadState } from "../../src/engine/load.js";
import type { ClusterState } from "../../src/engine/state.js";

/** A state from multi-document YAML; every object must be valid. */
export function stateFromYaml(...texts: string[]): ClusterState {
  const objects = texts.flatMap((t) => parseAllDocuments(t).map((d) => d.toJS() as unknown));
  const loaded = loadState(objects.filter((o) => o !== null));
  assert.deepEqual(loaded.rejected, [], "every object of the test state is valid");
  return loaded.state;
}

export function explain(state: ClusterState, spec: FlowSpec): FlowExplanation {
  const flow = resolveFlow(state, spec);
  assert.ok(flow.ok, flow.ok ? "" : flow.error);
  return explainFlow(state, flow.value);
}

/** Nodes n1..nN at 10.0.0.N with label kubernetes-host. */
export function nodesYaml(count: number, extraLabels = ""): string {
  return Array.from(
    { length: count },
    (_, i) => `apiVersion: v1
kind: Node
metadata: { name: n${i + 1}, labels: { kubernetes-host: ""${extraLabels} } }
status: { addresses: [ { type: InternalIP, address: 10.0.0.${i + 1} } ] }
`,
  ).join("---\n");
}

/** One named-interface HEP per node n1..nN listing the node's IP, labelled kubernetes-host. */
export function hepsYaml(count: number, apiVersion = "projectcalico.org/v3"): string {
  return Array.from(
    { length: count },
    (_, i) => `apiVersion: ${apiVersion}
kind: HostEndpoint
metadata: { name: n${i + 1}-eth0, labels: { kubernetes-host: "" } }
spec: { node: n${i + 1}, interfaceName: eth0, expectedIPs: [ 10.0.0.${i + 1} ] }
`,
  ).join("---\n");
}
