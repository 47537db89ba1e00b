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
 * defined at the destination address. Policies enter keys by content (name and rules, as digests),
 * so a state rebuilt from the same objects, or a policy whose order moved, keeps its keys.
 * Address keys live in address-keys.ts, which rules can match a port spec in port-relevance.ts.
 *
 * For one required port the key keeps only what can matter for it: policies none of whose rules can
 * match the protocol and port range are left out (a policy in which no rule matches is passed over,
 * felix/rules/policy.go), and so are failsafe entries for other ports. So a change to a policy about
 * port 9100 leaves the keys — and the cached verdicts — of every other port as they were.
 * test/engine/classes.property.test.ts and test/checks/required-ports.property.test.ts check the
 * keys against per-flow evaluation.
 */
import { cidrContainsIp, cidrFirst, cidrLast } from "../calico/net/ip.js";
import type { SelectorNode } from "../calico/selector/ast.js";
import type {
  Cidr,
  GlobalNetworkPolicy,
  HostEndpoint,
  IpAddress,
  NodeResource,
  ProtoPort,
  Rule,
} from "../calico/types.js";
import { PROTOCOL_NUMBERS } from "../calico/types.js";
import { addressKey, changedAddresses, selectorNodes } from "./address-keys.js";
import { changeKind, changeName } from "./change.js";
import type { AddressRange } from "./classes.js";
import { digest, memoOn, memoOnce } from "./content-memo.js";
import type { FlowPath } from "./evaluate.js";
import { describeOrigin, effectiveFelixConfig, type EffectiveFelixConfig } from "./felix-config.js";
import { governingHostEndpoint } from "./hep-resolution.js";
import { ipSet, type IpSet } from "./ipsets.js";
import {
  hepPolicies,
  hepPoliciesEdit,
  selectingPolicies,
  type Direction,
  type HepPolicies,
  type TierPolicies,
} from "./policy-index.js";
import { mayMatch, relevant, type PortSpec, type PortView } from "./port-relevance.js";
import type { ClusterState } from "./state.js";

// --- host endpoints: their policy lists, whole and per required port ---------------------------

const tierTexts = new WeakMap<TierPolicies, string>();

/**
 * A tier's identity and roster: the end-of-tier verdict names every policy in it (sorted, so a
 * policy's order does not enter) and the last one.
 */
function tierText(t: TierPolicies): string {
  return memoOnce(tierTexts, t, () => {
    const { name, order, defaultAction, known } = t.tier;
    const roster = digest(
      t.policies
        .map((p) => p.name)
        .sort()
        .join(","),
    );
    return `${name}:${order}:${defaultAction}:${known}:${roster}:${t.policies[t.policies.length - 1]?.name ?? ""}`;
  });
}

const ruleTexts = new WeakMap<Rule, string>();

/** A rule's content: equal texts match the same packets with the same action. */
function ruleText(rule: Rule): string {
  return memoOnce(ruleTexts, rule, () =>
    digest(
      JSON.stringify(rule, (_key, value: unknown) => {
        if (typeof value === "bigint") return value.toString();
        if (value !== null && typeof value === "object" && "root" in value && "source" in value)
          return `selector:${String((value as { source: unknown }).source)}`;
        return value;
      }),
    ),
  );
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
  return memoOnce(wholePolicyTexts, policy, () => {
    const rules = (list: readonly Rule[]) => list.map(ruleText).join(",");
    return `${policy.name}(${rules(policy.ingress)};${rules(policy.egress)})`;
  });
}

const wholeKeys = new WeakMap<HepPolicies, string>();

/** Every policy list of the HEP: what classes of nodes are grouped by. */
function hepPoliciesKey(p: HepPolicies): string {
  return memoOnce(wholeKeys, p, () => {
    const all = (["ingress", "egress"] as const).flatMap((side) => [
      ...stagesFor(p, side, "host"),
      ...(side === "ingress" ? [p.forward.ingress] : []),
    ]);
    return digest(stagesText(all, wholePolicyText));
  });
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
  return memoOn(filteredKeys, p, v.sideTags[side], () => {
    const from = carriedOver(p, side, v);
    if (from) return filteredPoliciesKey(from, side, v);
    return digest(
      stagesText(stagesFor(p, side, v.q.path), (policy) =>
        relevant(policy, side, v) ? policyText(policy, side, v) : undefined,
      ),
    );
  });
}

const sourceSelectors = new WeakMap<HepPolicies, Map<string, readonly SelectorNode[]>>();

/** The source selectors of the ingress policies that may decide the port spec (for their IP sets). */
function relevantSourceSelectors(p: HepPolicies, v: PortView): readonly SelectorNode[] {
  return memoOn(sourceSelectors, p, v.tag, () => {
    const from = carriedOver(p, "ingress", v);
    if (from) return relevantSourceSelectors(from, v);
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
  return memoOnce(wholeFailsafe, f, () => {
    const field = (side: Direction) => {
      const list = failsafeList(f, side);
      return `${describeOrigin(list.origin)}=${failsafeText(list.value)}`;
    };
    return `in[${field("ingress")}]out[${field("egress")}]`;
  });
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
      // The HEPs whose selecting policies changed: selectingPolicies keeps the parent's list (the
      // same array) for every other HEP, and what it computes here is what the touched nodes'
      // behaviours are built from next, so the changed policy's selector is evaluated once per HEP.
      for (const hep of after.hostEndpoints) {
        if (selectingPolicies(after, hep) !== selectingPolicies(before, hep)) touched.add(hep.node);
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
