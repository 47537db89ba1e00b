/**
 * Everything a flow's verdict can depend on, condensed into strings, so that nodes that would get
 * the same verdict for every flow can be evaluated once (design §4 "Speed").
 *
 * A side's verdict depends on: the governing HostEndpoint's ordered policy lists per stage and
 * direction (names identify policies within one state), its profiles, the node's effective failsafe
 * lists, and the packet's addresses — but the addresses only through their membership in the sets
 * rules and failsafe entries mention (nets, notNets, selector IP sets, failsafe nets) and the named
 * ports defined at the destination address. Two nodes with equal signatures are interchangeable.
 * test/engine/classes.property.test.ts and the required-ports tests check this against per-flow
 * evaluation.
 */
import { cidrContainsIp } from "../calico/net/ip.js";
import type { Cidr, HostEndpoint, IpAddress, NodeResource } from "../calico/types.js";
import { effectiveFelixConfig } from "./felix-config.js";
import { governingHostEndpoint } from "./hep-resolution.js";
import { ipSet, type IpSet } from "./ipsets.js";
import { selectingPolicies } from "./policy-index.js";
import { notSelectorNode, ruleSelectorNode } from "./selector-scope.js";
import type { ClusterState } from "./state.js";

type Matcher = { has(ip: IpAddress): boolean };

function cidrMatcher(cidrs: readonly Cidr[]): Matcher {
  return { has: (ip) => cidrs.some((c) => cidrContainsIp(c, ip)) };
}

/** Every address set any rule or failsafe entry of the state mentions, deduplicated. */
function referencedSets(state: ClusterState): readonly Matcher[] {
  return state.memo("referenced-address-sets", () => {
    const byKey = new Map<string, Matcher>();
    const addCidrs = (cidrs: readonly Cidr[]) => {
      if (cidrs.length > 0) byKey.set(`n:${cidrs.map((c) => c.text).join(",")}`, cidrMatcher(cidrs));
    };
    const addSet = (set: IpSet) => byKey.set(`s:${byKey.size}`, set);
    const seenSets = new Set<IpSet>();
    for (const policy of state.list("GlobalNetworkPolicy")) {
      for (const rule of [...policy.ingress, ...policy.egress]) {
        for (const side of [rule.source, rule.destination]) {
          addCidrs(side.nets);
          addCidrs(side.notNets);
          for (const node of [ruleSelectorNode(side), notSelectorNode(side)]) {
            if (!node) continue;
            const set = ipSet(state, node);
            if (!seenSets.has(set)) {
              seenSets.add(set);
              addSet(set);
            }
          }
        }
      }
    }
    for (const fc of state.list("FelixConfiguration")) {
      for (const list of [fc.fields.failsafeInboundHostPorts, fc.fields.failsafeOutboundHostPorts]) {
        for (const entry of list?.value ?? []) if (entry.net) addCidrs([entry.net]);
      }
    }
    return [...byKey.values()];
  });
}

function namedPortsAt(state: ClusterState, address: IpAddress): string {
  const named: string[] = [];
  for (const hep of state.hostEndpoints) {
    if (
      hep.ports.length === 0 ||
      !hep.expectedIPs.some((ip) => ip.family === address.family && ip.value === address.value)
    )
      continue;
    for (const p of hep.ports) named.push(`${p.name}/${p.protocol.number}/${p.port}`);
  }
  return named.sort().join(",");
}

/** Which referenced sets contain the address, and the named ports defined on it. */
export function addressSignature(state: ClusterState, address: IpAddress): string {
  const memo = state.memo("address-signatures", () => new Map<string, string>());
  const key = `${address.family}:${address.value}`;
  let sig = memo.get(key);
  if (sig === undefined) {
    const sets = referencedSets(state);
    const bits = new Array<string>(sets.length);
    for (let i = 0; i < sets.length; i++) bits[i] = sets[i]!.has(address) ? "1" : "0";
    sig = `${address.family}:${bits.join("")}:${namedPortsAt(state, address)}`;
    memo.set(key, sig);
  }
  return sig;
}

/**
 * The HostEndpoint's behaviour, both directions, all stages: within one state it is fixed by the
 * policies that select it (names identify them; tiers are global), whether it is a `*` HEP
 * (doNotTrack is ignored there) and whether a profile allows.
 */
export function hostEndpointSignature(state: ClusterState, hep: HostEndpoint | undefined): string {
  if (!hep) return "unpoliced";
  const names = selectingPolicies(state, hep)
    .map((p) => p.name)
    .sort()
    .join(",");
  const profile = hep.profiles.includes("projectcalico-default-allow") ? "allow-profile" : "no-allow-profile";
  return `${profile}|${hep.interfaceName === "*" ? "*" : "if"}|${names}`;
}

function failsafeSig(state: ClusterState, node: NodeResource): string {
  const f = effectiveFelixConfig(state, node);
  const list = (l: readonly { protocol: string; port: number; net?: Cidr }[]) =>
    l.map((e) => `${e.protocol}:${e.net?.text ?? ""}:${e.port}`).join(",");
  return `in[${list(f.failsafeInboundHostPorts.value)}]out[${list(f.failsafeOutboundHostPorts.value)}]`;
}

/** Long signature strings become small ids, so grouping thousands of nodes hashes short keys. */
function intern(state: ClusterState, text: string): number {
  const ids = state.memo("signature-ids", () => new Map<string, number>());
  let id = ids.get(text);
  if (id === undefined) {
    id = ids.size;
    ids.set(text, id);
  }
  return id;
}

/**
 * The signature of a node at one address for flows to or from other nodes (or, with `local`, for
 * traffic that stays on the node): its governing HEP, failsafe lists and the address's set
 * memberships, as a short key comparable within one state.
 */
export function endpointSignature(
  state: ClusterState,
  node: NodeResource,
  address: IpAddress,
  local: boolean,
): string {
  const memo = state.memo("endpoint-signatures", () => new Map<string, string>());
  const key = `${node.name}|${address.family}:${address.value}|${local}`;
  let sig = memo.get(key);
  if (sig === undefined) {
    const hep = governingHostEndpoint(state, node, local ? "loopback" : address);
    const hepId = intern(state, hostEndpointSignature(state, hep));
    const failsafeId = intern(
      state,
      state.memo(`failsafe-signature:${node.name}`, () => failsafeSig(state, node)),
    );
    const addressId = intern(state, addressSignature(state, address));
    sig = `${hepId}.${failsafeId}.${addressId}`;
    memo.set(key, sig);
  }
  return sig;
}
