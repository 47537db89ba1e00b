import { evaluateSelector } from "../calico/selector/index.js";
import { printSelector } from "../calico/selector/index.js";
import { cidrOfIp } from "../calico/net/ip.js";
import type { SelectorNode } from "../calico/selector/ast.js";
import type { Cidr, IpAddress, NamedPort } from "../calico/types.js";
import type { ClusterState } from "./state.js";

/**
 * The addresses a rule selector matches: Felix builds an IP set from every endpoint and network set
 * whose labels match (felix/labelindex/named_port_index.go). For host traffic that means:
 * - HostEndpoints contribute only their `expectedIPs` — interface addresses are never learned
 *   (trap T2; api hostendpoint.go comment "Calico does not learn the IPs of the interface");
 * - GlobalNetworkSets contribute their `nets`.
 * Pods and namespaced NetworkSets would contribute too; they never carry node or external host
 * addresses in hostguard's model, so they are left out (docs/engine.md).
 * HEPs from every node count, not only the local node's.
 */
export function ipSetMembers(state: ClusterState, selector: SelectorNode): readonly Cidr[] {
  const key = `ipset:${printSelector(selector)}`;
  return state.memo(key, () => {
    const members: Cidr[] = [];
    for (const hep of state.hostEndpoints) {
      if (evaluateSelector(selector, hep.labels))
        for (const ip of hep.expectedIPs) members.push(cidrOfIp(ip));
    }
    for (const set of state.list("GlobalNetworkSet")) {
      if (evaluateSelector(selector, set.labels)) members.push(...set.nets);
    }
    return members;
  });
}

/** One (address, protocol, port) triple of a named port, as Felix's named-port IP sets hold them. */
export interface NamedPortMember {
  readonly ip: IpAddress;
  readonly port: NamedPort;
}

/**
 * Named ports resolve to (IP, protocol, port) of matching endpoints' `ports`
 * (felix/labelindex/named_port_index.go; FV named_ports_test.go). For hosts that is HEP `spec.ports`
 * paired with the HEP's `expectedIPs`. With no selector on the rule side, every endpoint counts.
 */
export function namedPortMembers(
  state: ClusterState,
  selector: SelectorNode | undefined,
  name: string,
): readonly NamedPortMember[] {
  const key = `namedport:${name}:${selector ? printSelector(selector) : "*"}`;
  return state.memo(key, () => {
    const members: NamedPortMember[] = [];
    for (const hep of state.hostEndpoints) {
      if (selector && !evaluateSelector(selector, hep.labels)) continue;
      for (const port of hep.ports) {
        if (port.name !== name) continue;
        for (const ip of hep.expectedIPs) members.push({ ip, port });
      }
    }
    return members;
  });
}
