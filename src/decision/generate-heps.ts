import type { HostEndpoint, NodeResource } from "../calico/types.js";
import { isCovered } from "../checks/coverage.js";
import type { ClusterState } from "../engine/state.js";

/** A HostEndpoint manifest, ready to print as YAML. */
export interface HostEndpointManifest {
  readonly apiVersion: "projectcalico.org/v3";
  readonly kind: "HostEndpoint";
  readonly metadata: { readonly name: string; readonly labels: Record<string, string> };
  readonly spec: {
    readonly node: string;
    readonly interfaceName: string;
    readonly expectedIPs: readonly string[];
  };
}

/**
 * Labels every covered node's HostEndpoints share (e.g. Rancher's `kubernetes-host: ""`): the new
 * HostEndpoint needs them to be selected by the same policies as its peers.
 */
function sharedPeerLabels(state: ClusterState, uncovered: ReadonlySet<string>): Map<string, string> {
  const peers = state.hostEndpoints.filter((h) => !uncovered.has(h.node) && state.get("Node", h.node));
  if (peers.length === 0) return new Map();
  const shared = new Map(peers[0]!.labels);
  for (const hep of peers.slice(1)) {
    for (const [k, v] of shared) if (hep.labels.get(k) !== v) shared.delete(k);
  }
  shared.delete("projectcalico.org/created-by");
  return shared;
}

function needsHep(state: ClusterState, node: NodeResource): boolean {
  return node.internalIPs.some((ip) => !isCovered(state, node, ip));
}

/**
 * The runbook template for nodes without a covering HostEndpoint: one HEP per node on
 * `interfaceName` with the node's InternalIPs in `expectedIPs` (so selectors see the node, trap T2)
 * and labels = the node's own labels (as kube-controllers gives auto HEPs) plus the labels its
 * peers' HEPs share (so the same policies select it).
 */
export function generateHostEndpoints(state: ClusterState, interfaceName: string): HostEndpointManifest[] {
  const uncovered = new Set(state.nodes.filter((n) => needsHep(state, n)).map((n) => n.name));
  const shared = sharedPeerLabels(state, uncovered);
  return state.nodes
    .filter((n) => uncovered.has(n.name))
    .map((node) => {
      const labels: Record<string, string> = Object.fromEntries([...node.labels, ...shared]);
      const taken = new Set(state.list("HostEndpoint").map((h: HostEndpoint) => h.name));
      let name = `${node.name}-${interfaceName}`;
      for (let i = 2; taken.has(name); i++) name = `${node.name}-${interfaceName}-${i}`;
      return {
        apiVersion: "projectcalico.org/v3",
        kind: "HostEndpoint",
        metadata: { name, labels },
        spec: { node: node.name, interfaceName, expectedIPs: node.internalIPs.map((ip) => ip.text) },
      };
    });
}
