/**
 * Address keys: which of the sets the state's rules and failsafe entries mention hold an address,
 * and which named ports are defined on it — all a verdict can see of an address (design §4
 * "Speed"). They compare across states and carry over from a parent state for every address a change
 * cannot move (ADR 0008).
 */
import { cidrContainsIp } from "../calico/net/ip.js";
import { printSelector } from "../calico/selector/index.js";
import type { SelectorNode } from "../calico/selector/ast.js";
import type {
  Cidr,
  EntityRule,
  FelixConfiguration,
  GlobalNetworkPolicy,
  HostEndpoint,
  IpAddress,
} from "../calico/types.js";
import { changeKind, changeName } from "./change.js";
import { digest, memoOnce } from "./content-memo.js";
import { ipSet } from "./ipsets.js";
import { notSelectorNode, ruleSelectorNode } from "./selector-scope.js";
import type { ClusterState } from "./state.js";

interface Matcher {
  readonly text: string;
  has(ip: IpAddress): boolean;
}

const sideTexts = new WeakMap<GlobalNetworkPolicy, readonly string[]>();

function netsText(cidrs: readonly Cidr[]): string {
  return `n:${cidrs.map((c) => c.text).join(",")}`;
}

/** The address sets one policy's rules mention, by text. */
function policySetTexts(policy: GlobalNetworkPolicy): readonly string[] {
  return memoOnce(sideTexts, policy, () => {
    const out: string[] = [];
    for (const rule of [...policy.ingress, ...policy.egress]) {
      for (const side of [rule.source, rule.destination]) {
        if (side.nets.length > 0) out.push(netsText(side.nets));
        if (side.notNets.length > 0) out.push(netsText(side.notNets));
        for (const node of selectorNodes(side)) out.push(`s:${printSelector(node)}`);
      }
    }
    return out;
  });
}

export function selectorNodes(side: EntityRule): SelectorNode[] {
  return [ruleSelectorNode(side), notSelectorNode(side)].filter((n): n is SelectorNode => n !== undefined);
}

/**
 * Every address set any rule or failsafe entry of the state mentions, deduplicated by text and in
 * text order, so that membership lists compare across states.
 */
function referencedSets(state: ClusterState): readonly Matcher[] {
  return state.memo("referenced-address-sets", () => {
    // A policy change that mentions the same sets before and after leaves the list as it was
    // (and IP sets do not change with policies).
    const inherited = state.inherited<readonly Matcher[]>("referenced-address-sets", (c, parent) => {
      const name = changeName(c);
      if (changeKind(c) === "FelixConfiguration") {
        const nets = (fc: FelixConfiguration | undefined) =>
          [fc?.fields.failsafeInboundHostPorts, fc?.fields.failsafeOutboundHostPorts]
            .flatMap((list) => list?.value ?? [])
            .flatMap((e) => (e.net ? [e.net.text] : []))
            .sort()
            .join(",");
        return nets(parent.get("FelixConfiguration", name)) === nets(state.get("FelixConfiguration", name));
      }
      if (changeKind(c) !== "GlobalNetworkPolicy") return changeKind(c) === "Tier";
      const texts = (p: GlobalNetworkPolicy | undefined) =>
        p ? [...new Set(policySetTexts(p))].sort().join("\n") : "";
      const was = parent.get("GlobalNetworkPolicy", name);
      const now = state.get("GlobalNetworkPolicy", name);
      return was !== undefined && now !== undefined && texts(was) === texts(now);
    });
    if (inherited) return inherited;
    const byText = new Map<string, Matcher>();
    for (const policy of state.list("GlobalNetworkPolicy")) {
      const texts = policySetTexts(policy);
      if (texts.every((t) => byText.has(t))) continue;
      for (const rule of [...policy.ingress, ...policy.egress]) {
        for (const side of [rule.source, rule.destination]) {
          for (const cidrs of [side.nets, side.notNets]) {
            if (cidrs.length > 0 && !byText.has(netsText(cidrs)))
              byText.set(netsText(cidrs), cidrMatcher(cidrs));
          }
          for (const node of selectorNodes(side)) {
            const text = `s:${printSelector(node)}`;
            if (!byText.has(text)) {
              const set = ipSet(state, node);
              byText.set(text, { text, has: (ip) => set.has(ip) });
            }
          }
        }
      }
    }
    for (const fc of state.list("FelixConfiguration")) {
      for (const list of [fc.fields.failsafeInboundHostPorts, fc.fields.failsafeOutboundHostPorts]) {
        for (const entry of list?.value ?? []) {
          if (entry.net && !byText.has(netsText([entry.net])))
            byText.set(netsText([entry.net]), cidrMatcher([entry.net]));
        }
      }
    }
    return [...byText.values()].sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
  });
}

function cidrMatcher(cidrs: readonly Cidr[]): Matcher {
  return { text: netsText(cidrs), has: (ip) => cidrs.some((c) => cidrContainsIp(c, ip)) };
}

function namedPortsAt(state: ClusterState, address: IpAddress): string {
  const named: string[] = [];
  for (const hep of hepsListing(state, address)) {
    for (const p of hep.ports) named.push(`${p.name}/${p.protocol.number}/${p.port}`);
  }
  // Two HEPs of one node (eth0 and *) often list the same address and ports: a named port is a set
  // of (address, protocol, port) members, so duplicates mean nothing.
  return [...new Set(named)].sort().join(",");
}

/** HostEndpoints that list the address in expectedIPs (one state; indexed once). */
function hepsListing(state: ClusterState, address: IpAddress): readonly HostEndpoint[] {
  const index = state.memo("heps-by-expected-ip", () => {
    const byIp = new Map<string, HostEndpoint[]>();
    for (const hep of state.hostEndpoints) {
      for (const ip of hep.expectedIPs) {
        const k = `${ip.family}:${ip.value}`;
        const list = byIp.get(k);
        if (list) list.push(hep);
        else byIp.set(k, [hep]);
      }
    }
    return byIp;
  });
  return index.get(`${address.family}:${address.value}`) ?? [];
}

/** The addresses whose memberships a change can move, or "all" / "none". */
export type ChangedRegion = "all" | "none" | readonly Cidr[];

/**
 * The addresses whose set memberships (and named ports) may differ between the state's parent and
 * the state: "none" for a change that moves none, else the changed HEP's expectedIPs or the changed
 * set's nets, or "all".
 */
export function changedAddresses(state: ClusterState): ChangedRegion {
  return state.memo("address-change-region", () => {
    const { parent, change } = state;
    if (!parent || !change) return "all";
    const kind = changeKind(change);
    const name = changeName(change);
    const sameTexts = () => {
      const a = referencedSets(parent);
      const b = referencedSets(state);
      return a === b || (a.length === b.length && a.every((m, i) => m.text === b[i]!.text));
    };
    switch (kind) {
      case "HostEndpoint": {
        const heps = [parent.get(kind, name), state.get(kind, name)];
        return heps.flatMap((h) => (h ? h.expectedIPs.map(hostCidr) : []));
      }
      case "GlobalNetworkSet":
        return [parent.get(kind, name), state.get(kind, name)].flatMap((s) => (s ? s.nets : []));
      case "GlobalNetworkPolicy":
      case "FelixConfiguration":
        return sameTexts() ? "none" : "all";
      case "Tier":
      case "Node":
        return "none";
      default:
        return "all";
    }
  });
}

function hostCidr(ip: IpAddress): Cidr {
  return { family: ip.family, base: ip.value, prefix: ip.family === 4 ? 32 : 128, text: ip.text };
}

/**
 * Which referenced sets contain the address, and the named ports defined on it. Carried over from
 * the parent state for every address the change cannot move (a policy change moves none unless it
 * mentions a new set; a HEP change only its expectedIPs; a set change only its nets).
 */
export function addressKey(state: ClusterState, address: IpAddress): string {
  const memo = state.memo("address-keys", () => new Map<string, string>());
  const k = `${address.family}:${address.value}`;
  let key = memo.get(k);
  if (key === undefined) {
    const region = changedAddresses(state);
    if (region !== "all" && (region === "none" || !region.some((c) => cidrContainsIp(c, address))))
      key = state.parent?.peek<Map<string, string>>("address-keys")?.get(k);
    if (key === undefined) {
      const inSets = referencedSets(state)
        .filter((m) => m.has(address))
        .map((m) => m.text)
        .join("\n");
      key = `${address.family}:${digest(inSets)}:${namedPortsAt(state, address)}`;
    }
    memo.set(k, key);
  }
  return key;
}
