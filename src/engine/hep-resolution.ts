import type { HostEndpoint, IpAddress, NodeResource } from "../calico/types.js";
import type { ClusterState } from "./state.js";

/**
 * Which HostEndpoint polices traffic through the interface that carries `address` on `node`.
 *
 * Felix matches HEPs to *interfaces* (felix/dataplane/linux/endpoint_mgr.go resolveHostEndpoints);
 * hostguard only knows addresses, so it maps an address to an interface by these rules (design §4,
 * docs/engine.md):
 * 1. a HEP of the node listing the address in `expectedIPs` (named or empty interfaceName;
 *    alphabetically first if several — Felix lets the first name win);
 * 2. else the node's only named-interface HEP, when it lists none of the node's addresses (the
 *    single-NIC assumption: that interface carries the node's address);
 * 3. else the node's wildcard HEP — the alphabetically first `*` HEP, the only one Felix uses;
 * 4. else none: Felix does not police an interface it has no HEP for.
 *
 * `address === "loopback"` is node-local traffic, which Linux routes through `lo`; only a `*` HEP
 * covers `lo` (calico-semantics §5.8, issue projectcalico/calico#4478).
 */
export function governingHostEndpoint(
  state: ClusterState,
  node: NodeResource,
  address: IpAddress | "loopback",
): HostEndpoint | undefined {
  const heps = state.hostEndpointsOfNode(node.name);
  const wildcard = heps.find((hep) => hep.interfaceName === "*");
  if (address === "loopback") return wildcard;

  const listing = heps.find(
    (hep) => hep.interfaceName !== "*" && hep.expectedIPs.some((ip) => sameIp(ip, address)),
  );
  if (listing) return listing;

  const named = heps.filter((hep) => hep.interfaceName !== "" && hep.interfaceName !== "*");
  const nodeAddresses = [...node.internalIPs, ...node.externalIPs];
  if (named.length === 1) {
    const only = named[0]!;
    if (!only.expectedIPs.some((ip) => nodeAddresses.some((a) => sameIp(a, ip)))) return only;
  }
  return wildcard;
}

export function sameIp(a: IpAddress, b: IpAddress): boolean {
  return a.family === b.family && a.value === b.value;
}
