/**
 * Everything a flow's verdict can depend on, condensed into strings that compare across states, so
 * that (1) nodes that get the same verdict for every flow are evaluated once (design §4 "Speed") and
 * (2) a verdict computed for one state is reused for another state that has the same inputs — the
 * webhook decides every write against `before.apply(change)`, and most of a box's inputs are the
 * same on both sides of a change (ADR 0008).
 *
 * A side's verdict depends on: the governing HostEndpoint's ordered policy lists per stage and
 * direction, its profiles and whether it is a `*` HEP, the node's effective failsafe lists, and the
 * packet's addresses — but the addresses only through their membership in the sets rules and
 * failsafe entries mention (nets, notNets, selector IP sets, failsafe nets) and the named ports
 * defined at the destination address. Policies are identified by object: a state's objects are
 * immutable, so a changed policy is a new object with a new id.
 *
 * For one required port the key keeps only what can matter for it: policies none of whose rules can
 * match the protocol and port range are left out (a policy in which no rule matches is passed over,
 * felix/rules/policy.go), and so are failsafe entries for other ports. So a change to a policy about
 * port 9100 leaves the keys — and the cached verdicts — of every other port as they were.
 * test/engine/classes.property.test.ts and test/checks/required-ports.property.test.ts check the
 * keys against per-flow evaluation.
 */
import { createHash } from "node:crypto";
import { cidrContainsIp, cidrFirst, cidrLast } from "../calico/net/ip.js";
import { printSelector } from "../calico/selector/index.js";
import type { SelectorNode } from "../calico/selector/ast.js";
import type {
  Cidr,
  EntityRule,
  FelixConfiguration,
  GlobalNetworkPolicy,
  HostEndpoint,
  IpAddress,
  NodeResource,
  PortRange,
  ProtoPort,
  Rule,
} from "../calico/types.js";
import { PROTOCOL_NUMBERS } from "../calico/types.js";
import { changeKind, changeName } from "./change.js";
import type { FlowPath } from "./evaluate.js";
import { describeOrigin, effectiveFelixConfig, type EffectiveFelixConfig } from "./felix-config.js";
import { governingHostEndpoint } from "./hep-resolution.js";
import type { AddressRange } from "./classes.js";
import { ipSet, type IpSet } from "./ipsets.js";
import {
  hepPolicies,
  hepPoliciesEdit,
  policySelects,
  type Direction,
  type HepPolicies,
  type TierPolicies,
} from "./policy-index.js";
import { notSelectorNode, ruleSelectorNode } from "./selector-scope.js";
import type { ClusterState } from "./state.js";

/** What a required port asks of a box: the part of a BoxQuery that is not an endpoint. */
export interface PortSpec {
  readonly protocol: number;
  readonly ports?: PortRange;
  readonly icmpType?: number;
  readonly icmpCode?: number;
  readonly path: FlowPath;
}

export function portSpecKey(q: PortSpec): string {
  return `${q.protocol}/${q.ports ? `${q.ports.min}-${q.ports.max}` : ""}/${q.icmpType ?? ""}/${q.icmpCode ?? ""}/${q.path}`;
}

const objectIds = new WeakMap<object, number>();
let nextObjectId = 1;

/** A number per object, never reused: immutable objects make it a content id. */
export function objectId(o: object): number {
  let id = objectIds.get(o);
  if (id === undefined) {
    id = nextObjectId++;
    objectIds.set(o, id);
  }
  return id;
}

/** A short stand-in for a long key; SHA-1 makes an accidental collision a non-event. */
function digest(text: string): string {
  return createHash("sha1").update(text).digest("base64url");
}

function memoOn<K extends object, V>(
  map: WeakMap<K, Map<string, V>>,
  owner: K,
  key: string,
  make: () => V,
): V {
  let inner = map.get(owner);
  if (!inner) map.set(owner, (inner = new Map()));
  let value = inner.get(key);
  if (value === undefined) {
    value = make();
    inner.set(key, value);
  }
  return value;
}

// --- which sets the state's rules mention, and which of them hold an address ------------------

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
  let texts = sideTexts.get(policy);
  if (!texts) {
    const out: string[] = [];
    for (const rule of [...policy.ingress, ...policy.egress]) {
      for (const side of [rule.source, rule.destination]) {
        if (side.nets.length > 0) out.push(netsText(side.nets));
        if (side.notNets.length > 0) out.push(netsText(side.notNets));
        for (const node of selectorNodes(side)) out.push(`s:${printSelector(node)}`);
      }
    }
    texts = out;
    sideTexts.set(policy, texts);
  }
  return texts;
}

function selectorNodes(side: EntityRule): SelectorNode[] {
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

// --- host endpoints: their policy lists, whole and per required port ---------------------------

const tierTexts = new WeakMap<TierPolicies, string>();

/**
 * A tier's identity and roster: the end-of-tier verdict names every policy in it (sorted, so a
 * policy's order does not enter) and the last one.
 */
function tierText(t: TierPolicies): string {
  let text = tierTexts.get(t);
  if (text === undefined) {
    const { name, order, defaultAction, known } = t.tier;
    const roster = digest(
      t.policies
        .map((p) => p.name)
        .sort()
        .join(","),
    );
    text = `${name}:${order}:${defaultAction}:${known}:${roster}:${t.policies[t.policies.length - 1]?.name ?? ""}`;
    tierTexts.set(t, text);
  }
  return text;
}

const ruleTexts = new WeakMap<Rule, string>();

/** A rule's content: equal texts match the same packets with the same action. */
function ruleText(rule: Rule): string {
  let text = ruleTexts.get(rule);
  if (text === undefined) {
    text = digest(
      JSON.stringify(rule, (_key, value: unknown) => {
        if (typeof value === "bigint") return value.toString();
        if (value !== null && typeof value === "object" && "root" in value && "source" in value)
          return `selector:${String((value as { source: unknown }).source)}`;
        return value;
      }),
    );
    ruleTexts.set(rule, text);
  }
  return text;
}

const policyTexts = new WeakMap<GlobalNetworkPolicy, Map<string, string>>();

/**
 * A policy as one port spec sees it: its name and the rules of the direction that may match, with
 * their indices (the verdict names the rule). Rules that cannot match leave the text as it is, so
 * a port added elsewhere in the policy or a new order keeps the cached verdicts.
 */
function policyText(policy: GlobalNetworkPolicy, side: Direction, v: PortView): string {
  return memoOn(policyTexts, policy, v.sideTags[side], () => {
    const rules = side === "ingress" ? policy.ingress : policy.egress;
    const parts: string[] = [];
    rules.forEach((rule, i) => {
      if (mayMatch(rule, v)) parts.push(`${i}=${ruleText(rule)}`);
    });
    return `${policy.name}(${parts.join(",")})`;
  });
}

function stagesFor(p: HepPolicies, side: Direction, path: FlowPath): readonly (readonly TierPolicies[])[] {
  if (side === "egress") return [p.untracked.egress, p.normal.egress];
  return [p.untracked.ingress, p.preDNAT.ingress, path === "forward" ? p.forward.ingress : p.normal.ingress];
}

function stagesText(
  stages: readonly (readonly TierPolicies[])[],
  text: (p: GlobalNetworkPolicy) => string | undefined,
) {
  return stages
    .map((tiers) =>
      tiers.map((t) => `${tierText(t)}[${t.policies.flatMap((p) => text(p) ?? []).join(",")}]`).join(";"),
    )
    .join("|");
}

const wholePolicyTexts = new WeakMap<GlobalNetworkPolicy, string>();

/** A policy's name and every rule (its place in the lists says the rest). */
function wholePolicyText(policy: GlobalNetworkPolicy): string {
  let text = wholePolicyTexts.get(policy);
  if (text === undefined) {
    const rules = (list: readonly Rule[]) => list.map(ruleText).join(",");
    text = `${policy.name}(${rules(policy.ingress)};${rules(policy.egress)})`;
    wholePolicyTexts.set(policy, text);
  }
  return text;
}

const wholeKeys = new WeakMap<HepPolicies, string>();

/** Every policy list of the HEP: what classes of nodes are grouped by. */
function hepPoliciesKey(p: HepPolicies): string {
  let key = wholeKeys.get(p);
  if (key === undefined) {
    const all = (["ingress", "egress"] as const).flatMap((side) => [
      ...stagesFor(p, side, "host"),
      ...(side === "ingress" ? [p.forward.ingress] : []),
    ]);
    key = digest(stagesText(all, wholePolicyText));
    wholeKeys.set(p, key);
  }
  return key;
}

/**
 * Can any rule of this direction match a packet of the port spec? Exact for protocol, ICMP type and
 * numeric destination ports; everything else (addresses, named ports) counts as "may". Log rules
 * never decide (the evaluation goes on), so they do not count.
 */
function mayMatch(rule: Rule, v: PortView): boolean {
  const { q } = v;
  if (rule.action === "Log") return false;
  if (rule.protocol && rule.protocol.number !== q.protocol) return false;
  if (rule.notProtocol && rule.notProtocol.number === q.protocol) return false;
  if (rule.icmp && (q.icmpType === undefined || rule.icmp.type !== q.icmpType)) return false;
  const { ports } = rule.destination;
  if (ports.length > 0) {
    if (!q.ports) return false; // a packet without a destination port never matches `ports`
    const range = q.ports;
    const overlaps = ports.some((e) =>
      e.kind === "named"
        ? namedPortIn(v.universe, e.name, q.protocol, range)
        : e.max >= range.min && e.min <= range.max,
    );
    if (!overlaps) return false;
  }
  return true;
}

/** Every (protocol, port) some HostEndpoint of the state defines under each port name. */
type NamedPortUniverse = ReadonlyMap<string, readonly { protocol: number; port: number }[]>;

function namedPortIn(universe: NamedPortUniverse, name: string, protocol: number, range: PortRange): boolean {
  return (universe.get(name) ?? []).some(
    (p) => p.protocol === protocol && p.port >= range.min && p.port <= range.max,
  );
}

function namedPortUniverse(state: ClusterState): NamedPortUniverse {
  return state.memo("named-port-universe", () => {
    const unchanged = state.inherited<NamedPortUniverse>("named-port-universe", (c) => {
      const kind = changeKind(c);
      return kind !== "HostEndpoint" && kind !== "KubeControllersConfiguration";
    });
    if (unchanged) {
      const text = state.parent?.peek<{ text: string; universe: NamedPortUniverse }>(
        "named-port-universe-text",
      );
      if (text) state.memo("named-port-universe-text", () => text);
      return unchanged;
    }
    const byName = new Map<string, { protocol: number; port: number }[]>();
    const seen = new Set<string>();
    for (const hep of state.hostEndpoints) {
      for (const p of hep.ports) {
        const k = `${p.name}/${p.protocol.number}/${p.port}`;
        if (seen.has(k)) continue;
        seen.add(k);
        const list = byName.get(p.name);
        const entry = { protocol: p.protocol.number, port: p.port };
        if (list) list.push(entry);
        else byName.set(p.name, [entry]);
      }
    }
    const text = [...seen].sort().join(",");
    // The same universe as the parent's is the same object, so keys built on it carry over.
    const inherited = state.parent?.peek<{ text: string; universe: NamedPortUniverse }>(
      "named-port-universe-text",
    );
    if (inherited?.text === text) {
      state.memo("named-port-universe-text", () => inherited);
      return inherited.universe;
    }
    state.memo("named-port-universe-text", () => ({ text, universe: byName }));
    return byName;
  });
}

/**
 * A port spec as one state sees it: named ports can only match the ports HostEndpoints define
 * under their name, so which rules may match depends on the state's named ports too.
 */
export interface PortView {
  readonly q: PortSpec;
  readonly spec: string;
  readonly universe: NamedPortUniverse;
  /** memo keys: the spec and the named-port universe, per side (built once, hashed once) */
  readonly tag: string;
  readonly sideTags: Readonly<Record<Direction, string>>;
}

export function portView(state: ClusterState, q: PortSpec, spec: string): PortView {
  const universe = namedPortUniverse(state);
  const views = state.memo("port-views", () => new Map<string, PortView>());
  let v = views.get(spec);
  if (!v || v.universe !== universe) {
    const tag = `${spec}@${objectId(universe)}`;
    v = { q, spec, universe, tag, sideTags: { ingress: `ingress|${tag}`, egress: `egress|${tag}` } };
    views.set(spec, v);
  }
  return v;
}

const relevance = new WeakMap<GlobalNetworkPolicy, Map<string, boolean>>();

function relevant(policy: GlobalNetworkPolicy, side: Direction, v: PortView): boolean {
  return memoOn(relevance, policy, v.sideTags[side], () =>
    (side === "ingress" ? policy.ingress : policy.egress).some((r) => mayMatch(r, v)),
  );
}

const filteredKeys = new WeakMap<HepPolicies, Map<string, string>>();

/**
 * When the lists were made from the parent's by changing a policy that cannot decide this port
 * spec, before or after, and that stays in the same stage, tier and place at the end of its tier,
 * the parent's lists give the same key: carry it over instead of walking hundreds of policies.
 */
function carriedOver(p: HepPolicies, side: Direction, v: PortView): HepPolicies | undefined {
  const edit = hepPoliciesEdit(p);
  if (!edit?.before || !edit.after) return undefined;
  const { before, after } = edit;
  const sameSlot =
    before.tier === after.tier &&
    before.doNotTrack === after.doNotTrack &&
    before.preDNAT === after.preDNAT &&
    before.applyOnForward === after.applyOnForward &&
    before.types.ingress === after.types.ingress &&
    before.types.egress === after.types.egress;
  if (!sameSlot || relevant(before, side, v) || relevant(after, side, v)) return undefined;
  const was = stagesFor(edit.from, side, v.q.path);
  const now = stagesFor(p, side, v.q.path);
  const sameEnds = was.every((tiers, i) => {
    const other = now[i]!;
    return (
      tiers.length === other.length &&
      tiers.every((t, j) => t.tier.name === other[j]!.tier.name && lastName(t) === lastName(other[j]!))
    );
  });
  return sameEnds ? edit.from : undefined;
}

function lastName(t: TierPolicies): string | undefined {
  return t.policies[t.policies.length - 1]?.name;
}

/** The HEP's policies for one side and port spec, without the ones that cannot decide it. */
function filteredPoliciesKey(p: HepPolicies, side: Direction, v: PortView): string {
  const from = carriedOver(p, side, v);
  if (from) return filteredPoliciesKey(from, side, v);
  return memoOn(filteredKeys, p, v.sideTags[side], () =>
    digest(
      stagesText(stagesFor(p, side, v.q.path), (policy) =>
        relevant(policy, side, v) ? policyText(policy, side, v) : undefined,
      ),
    ),
  );
}

const sourceSelectors = new WeakMap<HepPolicies, Map<string, readonly SelectorNode[]>>();

/** The source selectors of the ingress policies that may decide the port spec (for their IP sets). */
function relevantSourceSelectors(p: HepPolicies, v: PortView): readonly SelectorNode[] {
  const from = carriedOver(p, "ingress", v);
  if (from) return relevantSourceSelectors(from, v);
  return memoOn(sourceSelectors, p, v.tag, () => {
    const nodes = new Set<SelectorNode>();
    for (const tiers of stagesFor(p, "ingress", v.q.path)) {
      for (const t of tiers) {
        for (const policy of t.policies) {
          if (!relevant(policy, "ingress", v)) continue;
          for (const rule of policy.ingress) for (const node of selectorNodes(rule.source)) nodes.add(node);
        }
      }
    }
    return [...nodes];
  });
}

function failsafeList(f: EffectiveFelixConfig, side: Direction) {
  return side === "ingress" ? f.failsafeInboundHostPorts : f.failsafeOutboundHostPorts;
}

function failsafeText(entries: readonly ProtoPort[]): string {
  return entries.map((e) => `${e.protocol}:${e.net?.text ?? ""}:${e.port}`).join(",");
}

const wholeFailsafe = new WeakMap<EffectiveFelixConfig, string>();

function failsafeKey(f: EffectiveFelixConfig): string {
  let key = wholeFailsafe.get(f);
  if (key === undefined) {
    const field = (side: Direction) => {
      const list = failsafeList(f, side);
      return `${describeOrigin(list.origin)}=${failsafeText(list.value)}`;
    };
    key = `in[${field("ingress")}]out[${field("egress")}]`;
    wholeFailsafe.set(f, key);
  }
  return key;
}

const filteredFailsafe = new WeakMap<EffectiveFelixConfig, Map<string, string>>();

/** The failsafe entries that can apply to the port spec on one side (none for forwarded traffic). */
function filteredFailsafeKey(f: EffectiveFelixConfig, side: Direction, q: PortSpec, spec: string): string {
  return memoOn(filteredFailsafe, f, `${side}|${spec}`, () => {
    const range = q.ports;
    if (!range || (side === "ingress" && q.path === "forward")) return "";
    const list = failsafeList(f, side);
    const entries = list.value.filter(
      (e) => PROTOCOL_NUMBERS[e.protocol] === q.protocol && e.port >= range.min && e.port <= range.max,
    );
    return entries.length === 0 ? "" : `${describeOrigin(list.origin)}=${failsafeText(entries)}`;
  });
}

// --- endpoints -------------------------------------------------------------------------------

/** A node at one address, as a source or destination of required flows. */
export interface EndpointAt {
  readonly node: NodeResource;
  readonly address: IpAddress;
  /** traffic that stays on the node (through `lo`) */
  readonly local: boolean;
}

interface Behaviour {
  readonly hep: HostEndpoint | undefined;
  readonly policies: HepPolicies | undefined;
  readonly felix: EffectiveFelixConfig;
  readonly address: string;
  /** without names: equal for nodes that behave alike */
  readonly classKey: string;
}

function hepText(hep: HostEndpoint | undefined): string {
  if (!hep) return "unpoliced";
  const profile = hep.profiles.includes("projectcalico-default-allow") ? "allow" : "no-allow";
  return `${profile}:${hep.profiles.join(",")}|${hep.interfaceName === "*" ? "*" : "if"}`;
}

/** Behaviours of one state, per address object (a node's addresses are the same objects in every state). */
type Behaviours = WeakMap<IpAddress, Map<string, Behaviour>>;

function behaviour(state: ClusterState, e: EndpointAt): Behaviour {
  const memo = state.memo<Behaviours>("endpoint-behaviours", () => new WeakMap());
  let byNode = memo.get(e.address);
  if (!byNode) memo.set(e.address, (byNode = new Map()));
  const k = e.local ? `${e.node.name}|lo` : e.node.name;
  let b = byNode.get(k);
  if (!b) {
    const hep = governingHostEndpoint(state, e.node, e.local ? "loopback" : e.address);
    const policies = hep ? hepPolicies(state, hep) : undefined;
    const felix = effectiveFelixConfig(state, e.node);
    const address = addressKey(state, e.address);
    // The parent's object when nothing in it changed: its key string is then the same object, so
    // comparing and hashing it again costs nothing.
    const was = state.parent?.peek<Behaviours>("endpoint-behaviours")?.get(e.address)?.get(k);
    if (was && was.hep === hep && was.policies === policies && was.felix === felix && was.address === address)
      b = was;
    else {
      const classKey = `${hepText(hep)}|${policies ? hepPoliciesKey(policies) : ""}|${failsafeKey(felix)}|${address}`;
      b = { hep, policies, felix, address, classKey };
    }
    byNode.set(k, b);
  }
  return b;
}

/**
 * The endpoint's behaviour for every flow, without its names: two endpoints with equal keys get
 * the same verdicts (up to the node and HEP names in the reasons). Comparable across states.
 */
export function endpointClassKey(state: ClusterState, e: EndpointAt): string {
  return behaviour(state, e).classKey;
}

/**
 * What one side of a box at this endpoint depends on for the port spec, names included (they
 * appear in the verdict's reasons). With the other side's key it identifies the box's verdicts.
 */
const sideKeys = new WeakMap<Behaviour, Map<string, string>>();

export function sideKey(state: ClusterState, e: EndpointAt, side: Direction, v: PortView): string {
  const b = behaviour(state, e);
  // Per behaviour object and port view: unchanged nodes keep theirs from decision to decision. A
  // digest keeps the cache's keys short (hundreds of thousands of them at 5k nodes).
  return memoOn(sideKeys, b, `${e.node.name}|${v.sideTags[side]}`, () => {
    const policies = b.policies ? filteredPoliciesKey(b.policies, side, v) : "";
    return digest(
      `${e.node.name}|${b.hep?.name ?? ""}|${hepText(b.hep)}|${policies}|${filteredFailsafeKey(b.felix, side, v.q, v.spec)}|${b.address}`,
    );
  });
}

const rangeMembers = new WeakMap<IpSet, Map<string, string>>();

/** The members of an IP set that overlap a range, as a digest: all an external box can see of it. */
function membersIn(set: IpSet, range: AddressRange, text: string): string {
  return memoOn(rangeMembers, set, text, () =>
    digest(
      set.members
        .filter((c) => c.family === range.family && cidrLast(c) >= range.first && cidrFirst(c) <= range.last)
        .map((c) => c.text)
        .sort()
        .join(","),
    ),
  );
}

/**
 * For a source range outside the cluster, the ingress verdicts also depend on which addresses of
 * the range are in the IP sets the deciding rules mention: the members of those sets inside the
 * range (so a HEP change elsewhere leaves the key of a far-away network as it was).
 */
export function sourceSetsKey(
  state: ClusterState,
  e: EndpointAt,
  v: PortView,
  range: AddressRange,
  rangeText: string,
): string {
  const b = behaviour(state, e);
  if (!b.policies) return "";
  return digest(
    relevantSourceSelectors(b.policies, v)
      .map((node) => membersIn(ipSet(state, node), range, rangeText))
      .join(","),
  );
}

const nodesByAddress = new WeakMap<readonly NodeResource[], Map<string, NodeResource[]>>();

function nodesAt(nodes: readonly NodeResource[]): Map<string, NodeResource[]> {
  let index = nodesByAddress.get(nodes);
  if (!index) {
    index = new Map();
    for (const node of nodes) {
      for (const ip of [...node.internalIPs, ...node.externalIPs]) {
        const k = `${ip.family}:${ip.value}`;
        const list = index.get(k);
        if (list) list.push(node);
        else index.set(k, [node]);
      }
    }
    nodesByAddress.set(nodes, index);
  }
  return index;
}

/**
 * The nodes whose endpoint behaviour (endpointClassKey) may differ between `before` and `after`,
 * when `after` was derived from `before` by one change; every other node's is the same object. A
 * policy change touches the nodes of the HEPs it selects (before or after) — unless it mentions
 * new sets, which moves address keys everywhere; a HEP change its node and the nodes at its
 * addresses; a network set change the nodes inside its nets. Anything else: "all".
 */
export function nodesTouched(before: ClusterState, after: ClusterState): "all" | ReadonlySet<string> {
  if (!after.derivedFrom(before) || !after.change) return "all";
  const change = after.change;
  const kind = changeKind(change);
  const name = changeName(change);
  const region = changedAddresses(after);
  if (region === "all") return "all";
  const touched = new Set<string>();
  const inRegion = (cidrs: readonly Cidr[]) => {
    const index = nodesAt(after.nodes);
    for (const c of cidrs) {
      const host = c.prefix === (c.family === 4 ? 32 : 128);
      if (host) for (const n of index.get(`${c.family}:${c.base}`) ?? []) touched.add(n.name);
      else {
        for (const n of after.nodes) {
          if ([...n.internalIPs, ...n.externalIPs].some((ip) => cidrContainsIp(c, ip))) touched.add(n.name);
        }
      }
    }
  };
  switch (kind) {
    case "GlobalNetworkPolicy": {
      const policies = [before.get(kind, name), after.get(kind, name)].filter(
        (p): p is GlobalNetworkPolicy => p !== undefined,
      );
      for (const hep of after.hostEndpoints) {
        if (policies.some((p) => policySelects(p, hep))) touched.add(hep.node);
      }
      return touched;
    }
    case "HostEndpoint": {
      for (const hep of [before.get(kind, name), after.get(kind, name)]) if (hep) touched.add(hep.node);
      if (region !== "none") inRegion(region);
      return touched;
    }
    case "GlobalNetworkSet":
      if (region !== "none") inRegion(region);
      return touched;
    default:
      return "all";
  }
}

const narrowed = new WeakMap<HepPolicies, Map<string, HepPolicies>>();

/**
 * The HEP's policy lists narrowed to what can decide packets of the port spec: every tier stays
 * (with its whole roster, for the end-of-tier verdict) but lists as `relevant` only the policies
 * with a rule that may match. Evaluating a box then walks tens of rules instead of hundreds.
 */
export function relevantPolicies(p: HepPolicies, v: PortView): HepPolicies {
  return memoOn(narrowed, p, v.tag, () => {
    const narrow = (tiers: readonly TierPolicies[], side: Direction): TierPolicies[] =>
      tiers.map((t) => ({ ...t, relevant: t.policies.filter((policy) => relevant(policy, side, v)) }));
    const stage = (s: HepPolicies["normal"]) => ({
      ingress: narrow(s.ingress, "ingress"),
      egress: narrow(s.egress, "egress"),
    });
    return {
      untracked: stage(p.untracked),
      preDNAT: stage(p.preDNAT),
      normal: stage(p.normal),
      forward: stage(p.forward),
    };
  });
}
