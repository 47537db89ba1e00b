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
import { hepPolicies, type StagePolicies, type TierPolicies } from "./policy-index.js";
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

/** Which referenced sets contain the address, and the named ports defined on it. */
export function addressSignature(state: ClusterState, address: IpAddress): string {
  const memo = state.memo("address-signatures", () => new Map<string, string>());
  const key = `${address.family}:${address.value}`;
  let sig = memo.get(key);
  if (sig === undefined) {
    let bits = "";
    for (const set of referencedSets(state)) bits += set.has(address) ? "1" : "0";
    const named: string[] = [];
    for (const hep of state.hostEndpoints) {
      if (
        hep.ports.length === 0 ||
        !hep.expectedIPs.some((ip) => ip.family === address.family && ip.value === address.value)
      )
        continue;
      for (const p of hep.ports) named.push(`${p.name}/${p.protocol.number}/${p.port}`);
    }
    sig = `${address.family}:${bits}:${named.sort().join(",")}`;
    memo.set(key, sig);
  }
  return sig;
}

function tiersSig(tiers: readonly TierPolicies[]): string {
  return tiers
    .map(
      (t) =>
        `${t.tier.name}/${t.tier.order}/${t.tier.defaultAction}[${t.policies.map((p) => p.name).join(",")}]`,
    )
    .join(";");
}

function stageSig(s: StagePolicies): string {
  return `i{${tiersSig(s.ingress)}}e{${tiersSig(s.egress)}}`;
}

/** The HostEndpoint's behaviour, both directions, all stages. */
export function hostEndpointSignature(state: ClusterState, hep: HostEndpoint | undefined): string {
  if (!hep) return "unpoliced";
  return state.memo(`hep-signature:${hep.name}`, () => {
    const p = hepPolicies(state, hep);
    return [
      hep.profiles.includes("projectcalico-default-allow") ? "allow-profile" : "no-allow-profile",
      `u:${stageSig(p.untracked)}`,
      `p:${stageSig(p.preDNAT)}`,
      `n:${stageSig(p.normal)}`,
      `f:${stageSig(p.forward)}`,
    ].join("|");
  });
}

function failsafeSig(state: ClusterState, node: NodeResource): string {
  const f = effectiveFelixConfig(state, node);
  const list = (l: readonly { protocol: string; port: number; net?: Cidr }[]) =>
    l.map((e) => `${e.protocol}:${e.net?.text ?? ""}:${e.port}`).join(",");
  return `in[${list(f.failsafeInboundHostPorts.value)}]out[${list(f.failsafeOutboundHostPorts.value)}]`;
}

/**
 * The signature of a node at one address for flows to or from other nodes (or, with
 * `"loopback"`, for traffic that stays on the node): its governing HEP, failsafe lists and the
 * address's set memberships. `extra` lets callers add facts that decide reporting (coverage).
 */
export function endpointSignature(
  state: ClusterState,
  node: NodeResource,
  address: IpAddress,
  local: boolean,
): string {
  const hep = governingHostEndpoint(state, node, local ? "loopback" : address);
  return `${hostEndpointSignature(state, hep)}#${failsafeSig(state, node)}#${addressSignature(state, address)}`;
}
