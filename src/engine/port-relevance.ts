/**
 * Which rules can decide a packet of one required port spec (protocol, port range, ICMP type, path).
 * A policy in which no rule matches a packet is passed over (felix/rules/policy.go), so for a given
 * port spec the others can be left out of keys and of evaluation (ADR 0008).
 */
import type { GlobalNetworkPolicy, PortRange, Rule } from "../calico/types.js";
import { changeKind } from "./change.js";
import { memoOn, objectId } from "./content-memo.js";
import type { FlowPath } from "./evaluate.js";
import type { Direction, HepPolicies, TierPolicies } from "./policy-index.js";
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

/**
 * Can any rule of this direction match a packet of the port spec? Exact for protocol, ICMP type and
 * numeric destination ports; everything else (addresses, named ports) counts as "may". Log rules
 * never decide (the evaluation goes on), so they do not count.
 */
export function mayMatch(rule: Rule, v: PortView): boolean {
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

export function relevant(policy: GlobalNetworkPolicy, side: Direction, v: PortView): boolean {
  return memoOn(relevance, policy, v.sideTags[side], () =>
    (side === "ingress" ? policy.ingress : policy.egress).some((r) => mayMatch(r, v)),
  );
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
