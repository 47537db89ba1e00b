/**
 * The fast path used by the checks (design §4 "Speed"): verdicts for a whole box of flows — every
 * source address of a range × every port of a range — without enumerating either.
 *
 * A flow's verdict depends on its source address only through membership in the CIDR lists that
 * the relevant rules and failsafe entries mention (nets, notNets, selector IP sets, failsafe
 * `net`), and on its destination port only through membership in the port lists they mention
 * (ports, notPorts, named ports resolved, failsafe ports). So we cut each dimension into
 * elementary intervals at every boundary, group intervals with the same membership vector into a
 * class, evaluate one representative per (address class × port class) and map the result back.
 * test/engine/classes.property.test.ts checks this against per-flow brute force on random states.
 */
import { cidrFirst, cidrLast, ipFromValue } from "../calico/net/ip.js";
import type { Cidr, IpFamily, NodeResource, PortMatch, PortRange, Rule } from "../calico/types.js";
import { evaluateSide, type FlowPath, type SideVerdict, type Verdict } from "./evaluate.js";
import { effectiveFelixConfig } from "./felix-config.js";
import type { FlowEnd } from "./flow.js";
import { governingHostEndpoint } from "./hep-resolution.js";
import { ipSetMembers, namedPortMembers } from "./ipsets.js";
import { PROTOCOLS_WITH_PORTS, type Packet } from "./packet.js";
import { hepPolicies, type Direction, type TierPolicies } from "./policy-index.js";
import { notSelectorNode, ruleSelectorNode } from "./selector-scope.js";
import type { ClusterState } from "./state.js";
import { PROTOCOL_NUMBERS } from "../calico/types.js";

/** Source addresses outside the cluster: an inclusive range of one family. */
export interface AddressRange {
  readonly family: IpFamily;
  readonly first: bigint;
  readonly last: bigint;
}

export type BoxSource =
  | { readonly kind: "node"; readonly end: FlowEnd & { kind: "node" } }
  | { readonly kind: "external"; readonly range: AddressRange };

export interface BoxQuery {
  readonly from: BoxSource;
  readonly to: FlowEnd & { kind: "node" };
  readonly protocol: number;
  /** required when the protocol carries ports */
  readonly ports?: PortRange;
  readonly icmpType?: number;
  readonly icmpCode?: number;
  readonly path: FlowPath;
}

/** The outcome of one (address class × port class): both sides, and the deciding one. */
export interface BoxOutcome {
  readonly verdict: Verdict;
  readonly deciding: SideVerdict;
  readonly sides: readonly SideVerdict[];
}

/** A rectangle of the box with one outcome. For node sources `srcFirst == srcLast` is the node's address. */
export interface BoxSegment {
  readonly srcFirst: bigint;
  readonly srcLast: bigint;
  readonly portMin?: number;
  readonly portMax?: number;
  readonly outcome: BoxOutcome;
}

interface Interval {
  readonly first: bigint;
  readonly last: bigint;
}

type Sets = Interval[][];

/** Cut [first,last] at every boundary of every set; group the pieces by which sets contain them. */
function classes(first: bigint, last: bigint, sets: Sets): Interval[][] {
  const cuts = new Set<bigint>([first]);
  for (const set of sets) {
    for (const iv of set) {
      if (iv.first > first && iv.first <= last) cuts.add(iv.first);
      if (iv.last >= first && iv.last < last) cuts.add(iv.last + 1n);
    }
  }
  const points = [...cuts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const groups = new Map<string, Interval[]>();
  for (let i = 0; i < points.length; i++) {
    const start = points[i]!;
    const end = i + 1 < points.length ? points[i + 1]! - 1n : last;
    let signature = "";
    for (const set of sets) signature += set.some((iv) => iv.first <= start && start <= iv.last) ? "1" : "0";
    const group = groups.get(signature);
    if (group) group.push({ first: start, last: end });
    else groups.set(signature, [{ first: start, last: end }]);
  }
  return [...groups.values()];
}

const intervals = new WeakMap<Cidr, Interval>();

function cidrInterval(c: Cidr): Interval {
  let iv = intervals.get(c);
  if (!iv) {
    iv = { first: cidrFirst(c), last: cidrLast(c) };
    intervals.set(c, iv);
  }
  return iv;
}

function rulesOf(tiers: readonly TierPolicies[], side: Direction): Rule[] {
  return tiers.flatMap((t) => t.policies.flatMap((p) => (side === "ingress" ? p.ingress : p.egress)));
}

function portSet(
  state: ClusterState,
  entries: readonly PortMatch[],
  selector: ReturnType<typeof ruleSelectorNode>,
  dst: FlowEnd,
  protocol: number,
): Interval[] {
  const out: Interval[] = [];
  for (const e of entries) {
    if (e.kind === "range") out.push({ first: BigInt(e.min), last: BigInt(e.max) });
    else {
      for (const m of namedPortMembers(state, selector, e.name)) {
        if (
          m.port.protocol.number === protocol &&
          m.ip.family === dst.address.family &&
          m.ip.value === dst.address.value
        ) {
          out.push({ first: BigInt(m.port.port), last: BigInt(m.port.port) });
        }
      }
    }
  }
  return out;
}

function nodeHep(state: ClusterState, end: FlowEnd & { kind: "node" }, local: boolean) {
  return governingHostEndpoint(state, end.node, local ? "loopback" : end.address);
}

/** Address and port sets that can change the verdict of one side. */
function collectSets(
  state: ClusterState,
  side: Direction,
  node: NodeResource,
  hepTiers: readonly (readonly TierPolicies[])[],
  dst: FlowEnd,
  protocol: number,
  addressSets: Sets | null,
  portSets: Sets,
): void {
  for (const tiers of hepTiers) {
    for (const rule of rulesOf(tiers, side)) {
      if (addressSets) {
        const s = rule.source;
        if (s.nets.length > 0) addressSets.push(s.nets.map(cidrInterval));
        if (s.notNets.length > 0) addressSets.push(s.notNets.map(cidrInterval));
        const sel = ruleSelectorNode(s);
        if (sel) addressSets.push(ipSetMembers(state, sel).map(cidrInterval));
        const notSel = notSelectorNode(s);
        if (notSel) addressSets.push(ipSetMembers(state, notSel).map(cidrInterval));
      }
      const d = rule.destination;
      const dstSel = ruleSelectorNode(d);
      if (d.ports.length > 0) portSets.push(portSet(state, d.ports, dstSel, dst, protocol));
      if (d.notPorts.length > 0) portSets.push(portSet(state, d.notPorts, dstSel, dst, protocol));
    }
  }
  const felix = effectiveFelixConfig(state, node);
  const list =
    side === "ingress" ? felix.failsafeInboundHostPorts.value : felix.failsafeOutboundHostPorts.value;
  for (const entry of list) {
    if (PROTOCOL_NUMBERS[entry.protocol] !== protocol) continue;
    portSets.push([{ first: BigInt(entry.port), last: BigInt(entry.port) }]);
    if (entry.net && side === "ingress" && addressSets) addressSets.push([cidrInterval(entry.net)]);
  }
}

function outcomeKey(o: BoxOutcome): string {
  return o.sides
    .map((s) => `${s.side}:${s.verdict}:${s.stage}:${s.tier ?? ""}:${s.policy ?? ""}:${s.ruleIndex ?? ""}`)
    .join("|");
}

/**
 * Verdicts for every flow of the box, as rectangles with one outcome each. Adjacent port
 * intervals with the same outcome are merged; address intervals are reported as cut.
 */
export function evaluateBox(state: ClusterState, q: BoxQuery): BoxSegment[] {
  const local = q.from.kind === "node" && q.from.end.node.name === q.to.node.name;
  const srcHep = q.from.kind === "node" ? nodeHep(state, q.from.end, local) : undefined;
  const dstHep = nodeHep(state, q.to, local);

  const addressSets: Sets | null = q.from.kind === "external" ? [] : null;
  const portSets: Sets = [];
  if (dstHep) {
    const p = hepPolicies(state, dstHep);
    const last = q.path === "forward" ? p.forward.ingress : p.normal.ingress;
    collectSets(
      state,
      "ingress",
      q.to.node,
      [p.untracked.ingress, p.preDNAT.ingress, last],
      q.to,
      q.protocol,
      addressSets,
      portSets,
    );
  }
  if (srcHep && q.from.kind === "node") {
    const p = hepPolicies(state, srcHep);
    collectSets(
      state,
      "egress",
      q.from.end.node,
      [p.untracked.egress, p.normal.egress],
      q.to,
      q.protocol,
      null,
      portSets,
    );
  }

  const srcFirst = q.from.kind === "node" ? q.from.end.address.value : q.from.range.first;
  const srcLast = q.from.kind === "node" ? q.from.end.address.value : q.from.range.last;
  const family = q.from.kind === "node" ? q.from.end.address.family : q.from.range.family;
  const addressClasses = addressSets
    ? classes(srcFirst, srcLast, addressSets)
    : [[{ first: srcFirst, last: srcLast }]];

  const hasPorts = PROTOCOLS_WITH_PORTS.has(q.protocol);
  const portClasses: Interval[][] =
    hasPorts && q.ports
      ? classes(BigInt(q.ports.min), BigInt(q.ports.max), portSets)
      : [[{ first: 0n, last: 0n }]];

  const segments: BoxSegment[] = [];
  for (const addrClass of addressClasses) {
    const src = ipFromValue(family, addrClass[0]!.first);
    for (const portClass of portClasses) {
      const packet: Packet = {
        src,
        dst: q.to.address,
        protocol: q.protocol,
        dstPort: hasPorts ? Number(portClass[0]!.first) : undefined,
        icmpType: q.icmpType,
        icmpCode: q.icmpCode,
      };
      const sides: SideVerdict[] = [];
      if (q.from.kind === "node") {
        sides.push(
          evaluateSide(
            state,
            { side: "egress", node: q.from.end.node, hep: srcHep, packet, path: "host" },
            null,
          ),
        );
      }
      sides.push(
        evaluateSide(state, { side: "ingress", node: q.to.node, hep: dstHep, packet, path: q.path }, null),
      );
      const deciding = sides.find((s) => s.verdict === "deny") ?? sides[sides.length - 1]!;
      const outcome: BoxOutcome = { verdict: deciding.verdict, deciding, sides };
      for (const a of addrClass) {
        for (const p of portClass) {
          segments.push({
            srcFirst: a.first,
            srcLast: a.last,
            portMin: hasPorts ? Number(p.first) : undefined,
            portMax: hasPorts ? Number(p.last) : undefined,
            outcome,
          });
        }
      }
    }
  }
  return mergePorts(segments);
}

function mergePorts(segments: BoxSegment[]): BoxSegment[] {
  segments.sort((a, b) =>
    a.srcFirst !== b.srcFirst ? (a.srcFirst < b.srcFirst ? -1 : 1) : (a.portMin ?? 0) - (b.portMin ?? 0),
  );
  const out: BoxSegment[] = [];
  for (const s of segments) {
    const prev = out[out.length - 1];
    if (
      prev &&
      prev.srcFirst === s.srcFirst &&
      prev.srcLast === s.srcLast &&
      prev.portMax !== undefined &&
      s.portMin === prev.portMax + 1 &&
      outcomeKey(prev.outcome) === outcomeKey(s.outcome)
    ) {
      out[out.length - 1] = { ...prev, portMax: s.portMax };
    } else out.push(s);
  }
  return out;
}
