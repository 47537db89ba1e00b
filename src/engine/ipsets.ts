import { cidrContainsIp, cidrOfIp } from "../calico/net/ip.js";
import { evaluateSelector, printSelector } from "../calico/selector/index.js";
import type { SelectorNode } from "../calico/selector/ast.js";
import type { Cidr, IpAddress, NamedPort } from "../calico/types.js";
import type { ClusterState } from "./state.js";

/** An IP set with O(1) lookup for host addresses (most members are /32 or /128 expectedIPs). */
export interface IpSet {
  readonly members: readonly Cidr[];
  has(ip: IpAddress): boolean;
}

function buildIpSet(members: readonly Cidr[]): IpSet {
  const hosts: [Set<bigint>, Set<bigint>] = [new Set(), new Set()];
  const ranges: Cidr[] = [];
  for (const c of members) {
    if (c.prefix === (c.family === 4 ? 32 : 128)) hosts[c.family === 4 ? 0 : 1].add(c.base);
    else ranges.push(c);
  }
  return {
    members,
    has: (ip) => hosts[ip.family === 4 ? 0 : 1].has(ip.value) || ranges.some((c) => cidrContainsIp(c, ip)),
  };
}

/** Per-state caches keyed by the selector AST object (rules keep their ASTs) and by canonical text. */
interface IpSetCache {
  readonly byNode: WeakMap<SelectorNode, IpSet>;
  readonly byText: Map<string, IpSet>;
}

function cache(state: ClusterState): IpSetCache {
  return state.memo("ipsets", () => ({ byNode: new WeakMap(), byText: new Map() }));
}

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
export function ipSet(state: ClusterState, selector: SelectorNode): IpSet {
  const c = cache(state);
  let set = c.byNode.get(selector);
  if (!set) {
    const text = printSelector(selector);
    set = c.byText.get(text);
    if (!set) {
      const members: Cidr[] = [];
      for (const hep of state.hostEndpoints) {
        if (evaluateSelector(selector, hep.labels))
          for (const ip of hep.expectedIPs) members.push(cidrOfIp(ip));
      }
      for (const gns of state.list("GlobalNetworkSet")) {
        if (evaluateSelector(selector, gns.labels)) members.push(...gns.nets);
      }
      set = buildIpSet(members);
      c.byText.set(text, set);
    }
    c.byNode.set(selector, set);
  }
  return set;
}

export function ipSetMembers(state: ClusterState, selector: SelectorNode): readonly Cidr[] {
  return ipSet(state, selector).members;
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
