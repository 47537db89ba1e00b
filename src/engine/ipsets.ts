import { cidrContainsIp, cidrOfIp } from "../calico/net/ip.js";
import { evaluateSelector, printSelector } from "../calico/selector/index.js";
import type { SelectorNode } from "../calico/selector/ast.js";
import type { Cidr, IpAddress, NamedPort } from "../calico/types.js";
import { changeKind, changeName } from "./change.js";
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
  readonly byText: Map<string, { readonly selector: SelectorNode; readonly set: IpSet }>;
}

/** Labels of the changed HostEndpoint or GlobalNetworkSet, before and after (the only members that can move). */
function changedLabelSets(state: ClusterState): readonly ReadonlyMap<string, string>[] | undefined {
  const { parent, change } = state;
  if (!parent || !change) return undefined;
  const kind = changeKind(change);
  if (kind !== "HostEndpoint" && kind !== "GlobalNetworkSet") return undefined;
  const name = changeName(change);
  return [parent.get(kind, name), state.get(kind, name)].flatMap((o) => (o ? [o.labels] : []));
}

/**
 * IP sets only change with HostEndpoints and GlobalNetworkSets (and KubeControllersConfiguration,
 * which removes auto HEPs). A state derived by any other change shares its parent's sets; after a
 * HEP or set change only the sets whose selector matches the changed object, before or after, are
 * built again — the others keep their members (felix/labelindex updates its index the same way).
 */
function cache(state: ClusterState): IpSetCache {
  return state.memo("ipsets", () => {
    const inherited = state.parent?.peek<IpSetCache>("ipsets");
    const kind = state.change ? changeKind(state.change) : undefined;
    if (!inherited || kind === undefined || kind === "KubeControllersConfiguration")
      return { byNode: new WeakMap(), byText: new Map() };
    const labels = changedLabelSets(state);
    if (!labels) return inherited;
    const byText = new Map<string, { selector: SelectorNode; set: IpSet }>();
    for (const [text, entry] of inherited.byText) {
      if (!labels.some((l) => evaluateSelector(entry.selector, l))) byText.set(text, entry);
    }
    return { byNode: new WeakMap(), byText };
  });
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
    set = c.byText.get(text)?.set;
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
      c.byText.set(text, { selector, set });
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

/** Named-port members of one (selector, name), indexed by address. */
interface NamedPortIndex {
  readonly selector: SelectorNode | undefined;
  readonly name: string;
  readonly members: readonly NamedPortMember[];
  readonly byAddress: ReadonlyMap<string, readonly NamedPortMember[]>;
}

const NO_MEMBERS: readonly NamedPortMember[] = [];

function addressKey(ip: IpAddress): string {
  return `${ip.family}:${ip.value}`;
}

/**
 * Named-port indexes of a state. Only HostEndpoints define named ports, so a state derived by any
 * other change shares its parent's; after a HEP change the indexes for a name the HEP defines
 * (before or after) are built again.
 */
function namedPortCache(state: ClusterState): Map<string, NamedPortIndex> {
  return state.memo("named-ports", () => {
    const inherited = state.parent?.peek<Map<string, NamedPortIndex>>("named-ports");
    const { parent, change } = state;
    if (!inherited || !parent || !change) return new Map();
    const kind = changeKind(change);
    if (kind === "KubeControllersConfiguration") return new Map();
    if (kind !== "HostEndpoint") return inherited;
    const name = changeName(change);
    const names = new Set(
      [parent.get("HostEndpoint", name), state.get("HostEndpoint", name)].flatMap((h) =>
        h ? h.ports.map((p) => p.name) : [],
      ),
    );
    return new Map([...inherited].filter(([, index]) => !names.has(index.name)));
  });
}

function namedPortIndex(
  state: ClusterState,
  selector: SelectorNode | undefined,
  name: string,
): NamedPortIndex {
  const indexes = namedPortCache(state);
  const key = `${name}:${selector ? printSelector(selector) : "*"}`;
  let index = indexes.get(key);
  if (!index) {
    const members: NamedPortMember[] = [];
    const byAddress = new Map<string, NamedPortMember[]>();
    for (const hep of state.hostEndpoints) {
      if (selector && !evaluateSelector(selector, hep.labels)) continue;
      for (const port of hep.ports) {
        if (port.name !== name) continue;
        for (const ip of hep.expectedIPs) {
          const member = { ip, port };
          members.push(member);
          const at = byAddress.get(addressKey(ip));
          if (at) at.push(member);
          else byAddress.set(addressKey(ip), [member]);
        }
      }
    }
    index = { selector, name, members, byAddress };
    indexes.set(key, index);
  }
  return index;
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
  return namedPortIndex(state, selector, name).members;
}

/** The members of a named port at one address: what a rule's named port means for a packet to it. */
export function namedPortMembersAt(
  state: ClusterState,
  selector: SelectorNode | undefined,
  name: string,
  ip: IpAddress,
): readonly NamedPortMember[] {
  return namedPortIndex(state, selector, name).byAddress.get(addressKey(ip)) ?? NO_MEMBERS;
}
