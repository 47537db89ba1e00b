import { selectorMatches } from "../calico/selector/index.js";
import type { IpAddress, NodeResource } from "../calico/types.js";
import { governingHostEndpoint, sameIp } from "../engine/hep-resolution.js";
import type { ClusterState } from "../engine/state.js";
import type { GuardConfig } from "../config/types.js";
import type { Finding } from "./finding.js";

/**
 * A node address is covered when the HostEndpoint that governs it also lists it in `expectedIPs`:
 * then the interface is firewalled *and* the address is in the IP sets of selectors such as
 * `has(kubernetes-host)` (calico-semantics §6, trap T2). Either half missing breaks the cluster in
 * its own way, so both are required.
 */
export function coverageProblem(
  state: ClusterState,
  node: NodeResource,
  address: IpAddress,
): string | undefined {
  const hep = governingHostEndpoint(state, node, address);
  if (!hep) {
    const heps = state.hostEndpointsOfNode(node.name);
    return heps.length === 0
      ? `${node.name} (${address.text}) has no HostEndpoint`
      : `no HostEndpoint of ${node.name} governs ${address.text} (${heps.map((h) => h.name).join(", ")} do not)`;
  }
  if (!hep.expectedIPs.some((ip) => sameIp(ip, address))) {
    return `HostEndpoint ${hep.name} of ${node.name} does not list ${address.text} in expectedIPs`;
  }
  return undefined;
}

export function isCovered(state: ClusterState, node: NodeResource, address: IpAddress): boolean {
  return coverageProblem(state, node, address) === undefined;
}

/**
 * node-coverage: every Node selected by `coverage.nodes` keeps a HostEndpoint that governs each of
 * its InternalIPs and lists it (design §5). A HostEndpoint whose `node` does not exist protects
 * nothing (Felix only sees HEPs of its own node name, calico-semantics §5.1): an advisory.
 */
export function nodeCoverageFindings(state: ClusterState, config: GuardConfig): Finding[] {
  const findings: Finding[] = [];
  for (const node of state.nodes) {
    if (!selectorMatches(config.coverage.nodes, node.labels)) continue;
    for (const address of node.internalIPs) {
      const problem = coverageProblem(state, node, address);
      if (!problem) continue;
      findings.push({
        check: "node-coverage",
        key: `node-coverage:${node.name}:${address.text}`,
        severity: "violation",
        node: node.name,
        message: `${problem}: the node is not firewalled and drops out of selectors like has(kubernetes-host)`,
      });
    }
  }
  for (const hep of state.hostEndpoints) {
    if (state.get("Node", hep.node)) continue;
    findings.push({
      check: "node-coverage",
      key: `node-coverage:orphan:${hep.name}`,
      severity: "advisory",
      node: hep.node,
      message: `HostEndpoint ${hep.name} is for node "${hep.node}", which does not exist: it protects nothing`,
    });
  }
  return findings;
}
