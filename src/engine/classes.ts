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
import type {
  Cidr,
  HostEndpoint,
  IpFamily,
  NodeResource,
  PortMatch,
  PortRange,
  Rule,
} from "../calico/types.js";
import { evaluateSide, type FlowPath, type SideVerdict, type Verdict } from "./evaluate.js";
import { effectiveFelixConfig } from "./felix-config.js";
import type { FlowEnd } from "./flow.js";
import { governingHostEndpoint } from "./hep-resolution.js";
import { ipSet, namedPortMembersAt, type IpSet } from "./ipsets.js";
import { PROTOCOLS_WITH_PORTS, type Packet } from "./packet.js";
import { hepPolicies, type Direction, type TierPolicies } from "./policy-index.js";
import { notSelectorNode, ruleSelectorNode } from "./selector-scope.js";
import { memoOnce } from "./content-memo.js";
import { portSpecKey, portView, relevantPolicies } from "./port-relevance.js";
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

/**
 * Cut [first,last] at every boundary of every set; group the pieces by which sets contain them.
 * One sweep over the sorted boundaries keeps a count of open intervals per set, so the work grows
 * with the number of boundaries inside the range, not with boundaries × sets × members.
 */
function classes(first: bigint, last: bigint, sets: Sets): Interval[][] {
  // events: at `at`, set `set` opens (+1) or closes (-1) an interval; only the part inside the range
  const events: { at: bigint; set: number; delta: number }[] = [];
  sets.forEach((set, index) => {
    for (const iv of inRange(set, first, last)) {
      if (iv.last < first || iv.first > last) continue;
      events.push({ at: iv.first > first ? iv.first : first, set: index, delta: 1 });
      if (iv.last < last) events.push({ at: iv.last + 1n, set: index, delta: -1 });
    }
  });
  events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const open = new Array<number>(sets.length).fill(0);
  const groups = new Map<string, Interval[]>();
  let start = first;
  let i = 0;
  while (start <= last) {
    while (i < events.length && events[i]!.at === start) {
      open[events[i]!.set]! += events[i]!.delta;
      i++;
    }
    const end = i < events.length ? events[i]!.at - 1n : last;
    let signature = "";
    for (const n of open) signature += n > 0 ? "1" : "0";
    const group = groups.get(signature);
    if (group) group.push({ first: start, last: end });
    else groups.set(signature, [{ first: start, last: end }]);
    start = end + 1n;
  }
  return [...groups.values()];
}

/** A set's intervals split for range queries: single addresses sorted, wider ones as they are. */
interface IndexedSet {
  readonly hosts: readonly Interval[];
  readonly wide: readonly Interval[];
}

const indexedSets = new WeakMap<readonly Interval[], IndexedSet>();

/**
 * The intervals of a set that can overlap [first, last]: an IP set of every node address has
 * thousands of single addresses, and a box over one /24 should not look at all of them.
 */
function inRange(set: readonly Interval[], first: bigint, last: bigint): readonly Interval[] {
  if (set.length < 32) return set;
  const { hosts, wide } = memoOnce(indexedSets, set, () => ({
    hosts: set
      .filter((iv) => iv.first === iv.last)
      .sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0)),
    wide: set.filter((iv) => iv.first !== iv.last),
  }));
  let lo = 0;
  let hi = hosts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (hosts[mid]!.first < first) lo = mid + 1;
    else hi = mid;
  }
  let end = lo;
  while (end < hosts.length && hosts[end]!.first <= last) end++;
  return lo === end ? wide : [...wide, ...hosts.slice(lo, end)];
}

const intervals = new WeakMap<Cidr, Interval>();

function cidrInterval(c: Cidr): Interval {
  return memoOnce(intervals, c, () => ({ first: cidrFirst(c), last: cidrLast(c) }));
}

const listIntervalCache = new WeakMap<readonly Cidr[], Interval[]>();

function listIntervals(cidrs: readonly Cidr[]): Interval[] {
  return memoOnce(listIntervalCache, cidrs, () => cidrs.map(cidrInterval));
}

const setIntervalCache = new WeakMap<IpSet, Interval[]>();

function setIntervals(set: IpSet): Interval[] {
  return memoOnce(setIntervalCache, set, () => set.members.map(cidrInterval));
}

function rulesOf(tiers: readonly TierPolicies[], side: Direction): Rule[] {
  return tiers.flatMap((t) =>
    (t.relevant ?? t.policies).flatMap((p) => (side === "ingress" ? p.ingress : p.egress)),
  );
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
      for (const m of namedPortMembersAt(state, selector, e.name, dst.address)) {
        if (m.port.protocol.number === protocol)
          out.push({ first: BigInt(m.port.port), last: BigInt(m.port.port) });
      }
    }
  }
  return out;
}

function nodeHep(state: ClusterState, end: FlowEnd & { kind: "node" }, local: boolean) {
  return governingHostEndpoint(state, end.node, local ? "loopback" : end.address);
}

interface SideSets {
  readonly address: Sets;
  readonly ports: Sets;
}

/**
 * The sets of one side, once per (HEP, side, stages, protocol) and state — and per destination
 * address when port sets are wanted (named ports resolve there): every box through the same HEP
 * cuts along the same boundaries. A box of one port needs no port sets at all.
 */
function sideSets(
  state: ClusterState,
  hepName: string,
  side: Direction,
  node: NodeResource,
  hepTiers: readonly (readonly TierPolicies[])[],
  dst: FlowEnd,
  protocol: number,
  stagesId: string,
  withAddresses: boolean,
  withPorts: boolean,
): SideSets {
  const memo = state.memo("box-side-sets", () => new Map<string, SideSets>());
  const at = withPorts ? `${dst.address.family}:${dst.address.value}` : "-";
  const key = `${hepName}|${side}|${stagesId}|${protocol}|${withAddresses}|${at}`;
  let sets = memo.get(key);
  if (!sets) {
    const address: Sets = [];
    const ports: Sets = [];
    collectSets(
      state,
      side,
      node,
      hepTiers,
      dst,
      protocol,
      withAddresses ? address : null,
      withPorts ? ports : null,
    );
    sets = { address, ports };
    memo.set(key, sets);
  }
  return sets;
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
  portSets: Sets | null,
): void {
  // Many rules name the same ports (443, the NodePort range): one copy cuts as well as many.
  const portTexts = new Set<string>();
  const addPorts = (list: Interval[]) => {
    const text = list.map((iv) => `${iv.first}-${iv.last}`).join(",");
    if (portSets && !portTexts.has(text)) {
      portTexts.add(text);
      portSets.push(list);
    }
  };
  // The same list (an IP set, a nets list) is mentioned by many rules: one copy of its intervals,
  // and one entry, is enough to cut along it.
  const seen = new Set<Interval[]>();
  const add = (list: Interval[]) => {
    if (addressSets && !seen.has(list)) {
      seen.add(list);
      addressSets.push(list);
    }
  };
  for (const tiers of hepTiers) {
    for (const rule of rulesOf(tiers, side)) {
      // A rule for another protocol matches no packet of this box: it cuts nothing.
      if (rule.protocol && rule.protocol.number !== protocol) continue;
      if (addressSets) {
        const s = rule.source;
        if (s.nets.length > 0) add(listIntervals(s.nets));
        if (s.notNets.length > 0) add(listIntervals(s.notNets));
        for (const sel of [ruleSelectorNode(s), notSelectorNode(s)]) {
          if (sel) add(setIntervals(ipSet(state, sel)));
        }
      }
      if (!portSets) continue;
      const d = rule.destination;
      const dstSel = ruleSelectorNode(d);
      if (d.ports.length > 0) addPorts(portSet(state, d.ports, dstSel, dst, protocol));
      if (d.notPorts.length > 0) addPorts(portSet(state, d.notPorts, dstSel, dst, protocol));
    }
  }
  const felix = effectiveFelixConfig(state, node);
  const list =
    side === "ingress" ? felix.failsafeInboundHostPorts.value : felix.failsafeOutboundHostPorts.value;
  for (const entry of list) {
    if (PROTOCOL_NUMBERS[entry.protocol] !== protocol) continue;
    addPorts([{ first: BigInt(entry.port), last: BigInt(entry.port) }]);
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

  const external = q.from.kind === "external";
  // One port (or none) is one port class: no need to know where rules cut the port range.
  const withPorts =
    PROTOCOLS_WITH_PORTS.has(q.protocol) && q.ports !== undefined && q.ports.min < q.ports.max;
  const addressSets: Sets | null = external ? [] : null;
  const portSets: Sets = [];
  // Only the policies that can decide packets of this box are walked (engine/signatures.ts).
  const view = portView(state, q, portSpecKey(q));
  const narrowedPolicies = (hep: HostEndpoint | undefined) =>
    hep ? relevantPolicies(hepPolicies(state, hep), view) : undefined;
  const dstPolicies = narrowedPolicies(dstHep);
  const srcPolicies = narrowedPolicies(srcHep);
  if (dstHep && dstPolicies) {
    const p = dstPolicies;
    const last = q.path === "forward" ? p.forward.ingress : p.normal.ingress;
    const sets = sideSets(
      state,
      dstHep.name,
      "ingress",
      q.to.node,
      [p.untracked.ingress, p.preDNAT.ingress, last],
      q.to,
      q.protocol,
      `${q.path}|${view.tag}`,
      external,
      withPorts,
    );
    addressSets?.push(...sets.address);
    portSets.push(...sets.ports);
  }
  if (srcHep && srcPolicies && q.from.kind === "node") {
    const p = srcPolicies;
    const sets = sideSets(
      state,
      srcHep.name,
      "egress",
      q.from.end.node,
      [p.untracked.egress, p.normal.egress],
      q.to,
      q.protocol,
      `host|${view.tag}`,
      false,
      withPorts,
    );
    portSets.push(...sets.ports);
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
            {
              side: "egress",
              node: q.from.end.node,
              hep: srcHep,
              packet,
              path: "host",
              policies: srcPolicies,
            },
            null,
          ),
        );
      }
      sides.push(
        evaluateSide(
          state,
          { side: "ingress", node: q.to.node, hep: dstHep, packet, path: q.path, policies: dstPolicies },
          null,
        ),
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
  return mergeAddresses(mergePorts(segments));
}

/**
 * Neighbouring pieces with the same outcome become one: first along ports (a port range cut at
 * every rule's ports), then along addresses (an external range is cut at every member of every set
 * its rules mention — thousands of node addresses — but most pieces get the same verdict, and the
 * boxes are cached, engine/box-cache.ts).
 */
function mergeAdjacent(
  segments: readonly BoxSegment[],
  order: (a: BoxSegment, b: BoxSegment) => number,
  adjacent: (prev: BoxSegment, next: BoxSegment) => boolean,
  join: (prev: BoxSegment, next: BoxSegment) => BoxSegment,
): BoxSegment[] {
  const keys = new Map<BoxOutcome, string>();
  const keyOf = (o: BoxOutcome) => {
    let k = keys.get(o);
    if (k === undefined) keys.set(o, (k = outcomeKey(o)));
    return k;
  };
  const out: BoxSegment[] = [];
  for (const s of [...segments].sort(order)) {
    const prev = out[out.length - 1];
    if (prev && adjacent(prev, s) && keyOf(prev.outcome) === keyOf(s.outcome))
      out[out.length - 1] = join(prev, s);
    else out.push(s);
  }
  return out;
}

const compareBig = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

function mergePorts(segments: readonly BoxSegment[]): BoxSegment[] {
  return mergeAdjacent(
    segments,
    (a, b) => compareBig(a.srcFirst, b.srcFirst) || (a.portMin ?? 0) - (b.portMin ?? 0),
    (prev, s) =>
      prev.srcFirst === s.srcFirst &&
      prev.srcLast === s.srcLast &&
      prev.portMax !== undefined &&
      s.portMin === prev.portMax + 1,
    (prev, s) => ({ ...prev, portMax: s.portMax }),
  );
}

function mergeAddresses(segments: readonly BoxSegment[]): BoxSegment[] {
  return mergeAdjacent(
    segments,
    (a, b) =>
      (a.portMin ?? 0) - (b.portMin ?? 0) ||
      (a.portMax ?? 0) - (b.portMax ?? 0) ||
      compareBig(a.srcFirst, b.srcFirst),
    (prev, s) => prev.portMin === s.portMin && prev.portMax === s.portMax && prev.srcLast + 1n === s.srcFirst,
    (prev, s) => ({ ...prev, srcLast: s.srcLast }),
  );
}
