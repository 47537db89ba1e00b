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
import { hepPolicies, type Direction, type HepPolicies, type TierPolicies } from "./policy-index.js";
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
      return a.length === b.length && a.every((m, i) => m.text === b[i]!.text);
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
function policyText(policy: GlobalNetworkPolicy, side: Direction, q: PortSpec, spec: string): string {
  return memoOn(policyTexts, policy, `${side}|${spec}`, () => {
    const rules = side === "ingress" ? policy.ingress : policy.egress;
    const parts: string[] = [];
    rules.forEach((rule, i) => {
      if (mayMatch(rule, q)) parts.push(`${i}=${ruleText(rule)}`);
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
function mayMatch(rule: Rule, q: PortSpec): boolean {
  if (rule.action === "Log") return false;
  if (rule.protocol && rule.protocol.number !== q.protocol) return false;
  if (rule.notProtocol && rule.notProtocol.number === q.protocol) return false;
  if (rule.icmp && (q.icmpType === undefined || rule.icmp.type !== q.icmpType)) return false;
  const { ports } = rule.destination;
  if (ports.length > 0) {
    if (!q.ports) return false; // a packet without a destination port never matches `ports`
    const range = q.ports;
    const overlaps = ports.some((e) => e.kind === "named" || (e.max >= range.min && e.min <= range.max));
    if (!overlaps) return false;
  }
  return true;
}

const relevance = new WeakMap<GlobalNetworkPolicy, Map<string, boolean>>();

function relevant(policy: GlobalNetworkPolicy, side: Direction, q: PortSpec, spec: string): boolean {
  return memoOn(relevance, policy, `${side}|${spec}`, () =>
    (side === "ingress" ? policy.ingress : policy.egress).some((r) => mayMatch(r, q)),
  );
}

const filteredKeys = new WeakMap<HepPolicies, Map<string, string>>();

/** The HEP's policies for one side and port spec, without the ones that cannot decide it. */
function filteredPoliciesKey(p: HepPolicies, side: Direction, q: PortSpec, spec: string): string {
  return memoOn(filteredKeys, p, `${side}|${spec}`, () =>
    digest(
      stagesText(stagesFor(p, side, q.path), (policy) =>
        relevant(policy, side, q, spec) ? policyText(policy, side, q, spec) : undefined,
      ),
    ),
  );
}

const sourceSelectors = new WeakMap<HepPolicies, Map<string, readonly SelectorNode[]>>();

/** The source selectors of the ingress policies that may decide the port spec (for their IP sets). */
function relevantSourceSelectors(p: HepPolicies, q: PortSpec, spec: string): readonly SelectorNode[] {
  return memoOn(sourceSelectors, p, spec, () => {
    const nodes = new Set<SelectorNode>();
    for (const tiers of stagesFor(p, "ingress", q.path)) {
      for (const t of tiers) {
        for (const policy of t.policies) {
          if (!relevant(policy, "ingress", q, spec)) continue;
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

function behaviour(state: ClusterState, e: EndpointAt): Behaviour {
  const memo = state.memo("endpoint-behaviours", () => new Map<string, Behaviour>());
  const k = `${e.node.name}|${e.address.family}:${e.address.value}|${e.local}`;
  let b = memo.get(k);
  if (!b) {
    const hep = governingHostEndpoint(state, e.node, e.local ? "loopback" : e.address);
    const policies = hep ? hepPolicies(state, hep) : undefined;
    const felix = effectiveFelixConfig(state, e.node);
    const address = addressKey(state, e.address);
    const classKey = `${hepText(hep)}|${policies ? hepPoliciesKey(policies) : ""}|${failsafeKey(felix)}|${address}`;
    b = { hep, policies, felix, address, classKey };
    memo.set(k, b);
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
export function sideKey(
  state: ClusterState,
  e: EndpointAt,
  side: Direction,
  q: PortSpec,
  spec: string,
): string {
  const b = behaviour(state, e);
  const policies = b.policies ? filteredPoliciesKey(b.policies, side, q, spec) : "";
  return `${e.node.name}|${b.hep?.name ?? ""}|${hepText(b.hep)}|${policies}|${filteredFailsafeKey(b.felix, side, q, spec)}|${b.address}`;
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
  q: PortSpec,
  spec: string,
  range: AddressRange,
  rangeText: string,
): string {
  const b = behaviour(state, e);
  if (!b.policies) return "";
  return relevantSourceSelectors(b.policies, q, spec)
    .map((node) => membersIn(ipSet(state, node), range, rangeText))
    .join(",");
}
