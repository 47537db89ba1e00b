import { cidrFirst, cidrLast, parseIp } from "../calico/net/ip.js";
import { selectorMatches } from "../calico/selector/index.js";
import type { Cidr, IpAddress, IpFamily, NodeResource } from "../calico/types.js";
import type { GuardConfig, RequiredPort, RequiredSource, Requirement } from "../config/types.js";
import { cachedBox } from "../engine/box-cache.js";
import {
  evaluateBox,
  type BoxOutcome,
  type BoxQuery,
  type BoxSegment,
  type BoxSource,
} from "../engine/classes.js";
import type { SideVerdict } from "../engine/evaluate.js";
import type { FlowEnd } from "../engine/flow.js";
import type { AddressRange } from "../engine/classes.js";
import { changedAddresses } from "../engine/address-keys.js";
import { memoOnce } from "../engine/content-memo.js";
import { portSpecKey, portView, type PortSpec, type PortView } from "../engine/port-relevance.js";
import {
  endpointClassKey,
  nodesTouched,
  sideKey,
  sourceSetsKey,
  type EndpointAt,
} from "../engine/signatures.js";
import type { ClusterState } from "../engine/state.js";
import { rangeToCidrs } from "./address-range.js";
import { UNLIMITED, type Budget } from "./budget.js";
import { peekPerConfig, perConfig, type CheckResult } from "./check.js";
import { compareNames, listed, MAX_LISTED, mergeSorted } from "./name-list.js";
import { isCovered } from "./coverage.js";
import type { Decider, Finding } from "./finding.js";

const LOOPBACK = parseIp("127.0.0.1");
const ALL_V4 = "0.0.0.0/0";
const ALL_V6 = "::/0";

/** One concrete source of a requirement in one state. */
export interface Source {
  /** `from` of a finding: a node name or a CIDR */
  readonly id: string;
  readonly label: string;
  readonly family: IpFamily;
  readonly box: BoxSource;
  /** a node source whose own address is not covered: its dropped flows are coverage findings */
  readonly uncovered: boolean;
  /** for network sources: which GlobalNetworkSet contributed it */
  readonly set?: string;
}

/**
 * Every source a judged rectangle stands for: the members of a class of nodes (which share every
 * verdict), or one network source. Made once per class and shared by reference.
 */
export interface SourceList {
  /** sorted: node names, `NODE@127.0.0.1`, or the network source's CIDR */
  readonly names: readonly string[];
  /** how the first MAX_LISTED of them read in a message */
  readonly labels: readonly string[];
}

/** One rectangle of required flows, judged in both states, ready to become findings. */
export interface Judged {
  readonly requirement: Requirement;
  readonly port: RequiredPort;
  /** the representative source (for a network source, the range the piece cuts) */
  readonly source: Source;
  readonly sources: SourceList;
  /** destination node names, sorted (shared by reference) */
  readonly to: readonly string[];
  /**
   * Traffic that stays on each node (`sources.names[i]` to `to[i]`); otherwise every source to
   * every destination but itself.
   */
  readonly toSelf?: boolean;
  readonly piece: Piece;
  readonly dropped: Decider;
  readonly before?: Decider;
}

function nodeEnd(node: NodeResource, address: IpAddress): FlowEnd & { kind: "node" } {
  return { kind: "node", node, address };
}

function firstOfFamily(node: NodeResource, family: IpFamily): IpAddress | undefined {
  return node.internalIPs.find((ip) => ip.family === family);
}

function netSource(cidr: Cidr, label: string, set?: string): Source {
  return {
    id: cidr.text,
    label,
    family: cidr.family,
    box: { kind: "external", range: { family: cidr.family, first: cidrFirst(cidr), last: cidrLast(cidr) } },
    uncovered: false,
    set,
  };
}

/** Network sources of one `from` entry in one state (nodes are handled as classes). */
function networkSources(state: ClusterState, from: RequiredSource, family: IpFamily): Source[] {
  switch (from.kind) {
    case "globalNetworkSets":
      return state
        .list("GlobalNetworkSet")
        .filter((set) => selectorMatches(from.selector, set.labels))
        .flatMap((set) =>
          set.nets
            .filter((c) => c.family === family)
            .map((c) => netSource(c, `set ${set.name} ${c.text}`, set.name)),
        );
    case "nets":
      return from.nets.filter((c) => c.family === family).map((c) => netSource(c, c.text));
    case "anywhere": {
      const world = family === 4 ? ALL_V4 : ALL_V6;
      return [netSource({ family, base: 0n, prefix: 0, text: world }, `anywhere (${world})`)];
    }
    default:
      return [];
  }
}

function sourceNodes(state: ClusterState, requirement: Requirement): NodeResource[] {
  const all = requirement.from.some((f) => f.kind === "anywhere");
  return state.nodes.filter(
    (n) => all || requirement.from.some((f) => f.kind === "nodes" && selectorMatches(f.selector, n.labels)),
  );
}

interface Endpoint {
  readonly node: NodeResource;
  readonly address: IpAddress;
}

/** The nodes a requirement goes to and comes from; Nodes are not guarded, so this keeps per node list. */
interface RequirementNodes {
  readonly dst: readonly NodeResource[];
  readonly src: ReadonlySet<string>;
}

const requirementNodes = new WeakMap<readonly NodeResource[], WeakMap<Requirement, RequirementNodes>>();

function nodesOf(state: ClusterState, requirement: Requirement): RequirementNodes {
  const nodes = state.nodes;
  let byRequirement = requirementNodes.get(nodes);
  if (!byRequirement) requirementNodes.set(nodes, (byRequirement = new WeakMap()));
  let found = byRequirement.get(requirement);
  if (!found) {
    found = {
      dst: nodes.filter((n) => selectorMatches(requirement.to.nodes, n.labels)),
      src: new Set(sourceNodes(state, requirement).map((n) => n.name)),
    };
    byRequirement.set(requirement, found);
  }
  return found;
}

/** One class of endpoints for a decision, with its behaviour before and after the change. */
interface EndpointClass {
  readonly members: readonly Endpoint[];
  /** engine/signatures.ts endpointClassKey in the state before and after */
  readonly before: string;
  readonly after: string;
  /** the same behaviour (and coverage) both times: its boxes with other stable classes did not change */
  readonly stable: boolean;
  /** with a coverage split: the members' addresses are covered in the state after */
  readonly coveredAfter: boolean;
}

/**
 * Classes of endpoints for one decision: two endpoints are in one class when they behave alike in
 * the state before the change and alike in the state after it, and (for sources) their coverage is
 * the same in both (engine/signatures.ts endpointClassKey).
 */
class EndpointClasses {
  /** class keys (long strings, hashed once) to small numbers */
  private readonly keyIds = new Map<string, number>();
  private readonly pairIds = new Map<number, number>();
  private readonly byAddress = new Map<
    IpAddress,
    Map<string, { id: number; cls: Omit<EndpointClass, "members"> }>
  >();

  private readonly touched: "all" | ReadonlySet<string>;

  constructor(
    private readonly before: ClusterState,
    private readonly after: ClusterState,
    private readonly config: GuardConfig,
    private readonly budget: Budget = UNLIMITED,
  ) {
    this.touched = nodesTouched(before, after);
  }

  private keyId(key: string): number {
    let id = this.keyIds.get(key);
    if (id === undefined) this.keyIds.set(key, (id = this.keyIds.size));
    return id;
  }

  private classOf(e: Endpoint, local: boolean, coverage: boolean) {
    let byNode = this.byAddress.get(e.address);
    if (!byNode) this.byAddress.set(e.address, (byNode = new Map()));
    const k = `${e.node.name}|${local ? 1 : 0}${coverage ? 1 : 0}`;
    let found = byNode.get(k);
    if (!found) {
      const at: EndpointAt = { ...e, local };
      const before = endpointClassKey(this.before, at);
      const after = endpointClassKey(this.after, at);
      const covered = coverage ? coverageBits(this.before, this.after, e) : 0;
      const pair = (this.keyId(before) * 4 + covered) * 2 ** 24 + this.keyId(after);
      let id = this.pairIds.get(pair);
      if (id === undefined) this.pairIds.set(pair, (id = this.pairIds.size));
      const stable = before === after && (covered === 0 || covered === 3);
      found = { id, cls: { before, after, stable, coveredAfter: (covered & 1) === 1 } };
      byNode.set(k, found);
    }
    return found;
  }

  /**
   * With `coverage`, endpoints whose address is covered in one state and not the other are apart.
   * When the change touched only some nodes, the base state's classes (cached on it under `key`)
   * carry over and only the touched members are classified again.
   */
  group(endpoints: readonly Endpoint[], local: boolean, coverage: boolean, key: string): EndpointClass[] {
    const touched = this.touched;
    if (touched === "all") return this.classify(endpoints, local, coverage);
    const base = baseClasses(this.before, this.config, key, () =>
      ownClasses(this.before, this.config, key, endpoints, local, coverage, this.budget),
    );
    if (touched.size === 0) return base;
    const out: EndpointClass[] = [];
    const moved: Endpoint[] = [];
    for (const cls of base) {
      if (!cls.members.some((m) => touched.has(m.node.name))) {
        out.push(cls);
        continue;
      }
      const kept = cls.members.filter((m) => !touched.has(m.node.name));
      if (kept.length > 0) out.push({ ...cls, members: kept });
      moved.push(...cls.members.filter((m) => touched.has(m.node.name)));
    }
    return mergeAlike([...out, ...this.classify(moved, local, coverage)]);
  }

  classify(endpoints: readonly Endpoint[], local: boolean, coverage: boolean): EndpointClass[] {
    const groups = new Map<number, { members: Endpoint[]; cls: Omit<EndpointClass, "members"> }>();
    let n = 0;
    for (const e of endpoints) {
      // A class key is cheap, but a change that touches every node computes thousands of them.
      if (++n % 64 === 0 && this.budget.expired()) throw new OutOfBudget("decision budget exhausted");
      const { id, cls } = this.classOf(e, local, coverage);
      const g = groups.get(id);
      if (g) g.members.push(e);
      else groups.set(id, { members: [e], cls });
    }
    return [...groups.values()].map(({ members, cls }) => ({ ...cls, members }));
  }
}

/**
 * Classes that behave alike in both states are one class: a touched node that lands where its
 * untouched peers are joins them, so a finding names the same class whether the state was derived
 * or loaded afresh. Members keep the base order (state order), touched ones after.
 */
function mergeAlike(classes: readonly EndpointClass[]): EndpointClass[] {
  const byKey = new Map<string, EndpointClass>();
  for (const cls of classes) {
    const key = `${cls.before}\n${cls.after}\n${cls.stable}\n${cls.coveredAfter}`;
    const into = byKey.get(key);
    byKey.set(key, into ? { ...into, members: [...into.members, ...cls.members] } : cls);
  }
  return [...byKey.values()];
}

/** A state's own endpoint classes per requirement, family and kind (the base a decision edits). */
/**
 * A state's own classes. For a state derived by one change from a parent whose classes are known
 * (the informers apply each change in the cluster to their previous state), the parent's classes
 * carry over and only the touched nodes are classified again.
 */
function ownClasses(
  state: ClusterState,
  config: GuardConfig,
  key: string,
  endpoints: readonly Endpoint[],
  local: boolean,
  coverage: boolean,
  budget: Budget,
): EndpointClass[] {
  const parent = state.parent;
  const known = parent && peekPerConfig<Map<string, EndpointClass[]>>(parent, config, CLASSES)?.get(key);
  if (!parent || !known || nodesTouched(parent, state) === "all")
    return new EndpointClasses(state, state, config, budget).classify(endpoints, local, coverage);
  const merged = new Map<string, EndpointClass & { members: Endpoint[] }>();
  for (const cls of new EndpointClasses(parent, state, config, budget).group(
    endpoints,
    local,
    coverage,
    key,
  )) {
    const k = `${cls.after}\n${cls.coveredAfter}`;
    const into = merged.get(k);
    if (into) into.members.push(...cls.members);
    else merged.set(k, { ...cls, before: cls.after, stable: true, members: [...cls.members] });
  }
  return [...merged.values()];
}

const CLASSES = "required-ports-classes";
const DENIED = "required-ports-denied";
const DENIED_PROGRESS = "required-ports-denied-progress";

function baseClasses(
  state: ClusterState,
  config: GuardConfig,
  key: string,
  compute: () => EndpointClass[],
): EndpointClass[] {
  const byKey = perConfig(state, config, CLASSES, () => new Map<string, EndpointClass[]>());
  let classes = byKey.get(key);
  if (!classes) byKey.set(key, (classes = compute()));
  return classes;
}

/**
 * Which boxes of one state deny something, by the class keys of their two ends (name-free: whether
 * a box denies does not depend on which member represents a class). A decision reads only the
 * boxes a change can have touched, plus the ones this index names: every other box allows all its
 * flows both before and after, so it can make no finding.
 */
type DeniedIndex = Map<string, Map<string, Set<string>>>;

function indexAdd(index: DeniedIndex, cell: string, row: string, column: string): void {
  let rows = index.get(cell);
  if (!rows) index.set(cell, (rows = new Map()));
  let columns = rows.get(row);
  if (!columns) rows.set(row, (columns = new Set()));
  columns.add(column);
}

/**
 * A state's index as it is being built: the walk records into `index` and marks each finished cell
 * (requirement × family × port) in `done`. A walk stopped by its budget leaves both behind, and the
 * next one (a later slice, or a review) goes on from there instead of starting over.
 */
interface IndexProgress {
  readonly index: DeniedIndex;
  readonly done: Set<string>;
  /** the parent's index the build started from, if any (its walk reads only what the change touched) */
  readonly from?: { readonly parent: ClusterState; readonly known: DeniedIndex };
}

function deniedIndex(state: ClusterState, config: GuardConfig, budget: Budget): DeniedIndex {
  return perConfig(state, config, DENIED, () => {
    const progress = perConfig(state, config, DENIED_PROGRESS, (): IndexProgress => {
      // Derived from the parent's index when there is one: its entries are keyed by content, so they
      // hold for this state too; only the boxes the change touched are read and recorded. (An entry
      // for a box that no longer denies costs a read later, never a wrong answer.)
      const parent = state.parent;
      const known = parent && peekPerConfig<DeniedIndex>(parent, config, DENIED);
      if (!parent || !known) return { index: new Map(), done: new Set() };
      const index: DeniedIndex = new Map(
        [...known].map(([cell, rows]) => [
          cell,
          new Map([...rows].map(([row, cols]) => [row, new Set(cols)])),
        ]),
      );
      return { index, done: new Set(), from: { parent, known } };
    });
    const { index, done, from } = progress;
    if (from) walk(from.parent, state, config, { skip: from.known, record: index, done, budget });
    else walk(state, state, config, { record: index, done, budget });
    return index;
  });
}

/**
 * Which network sources can see a change: with a state derived from `before` by one HostEndpoint or
 * GlobalNetworkSet change, only ranges that overlap the moved addresses; with a change of another
 * kind none; with unrelated states, all.
 */
function externalsMoved(before: ClusterState, after: ClusterState): (range: AddressRange) => boolean {
  if (!after.derivedFrom(before)) return () => true;
  const region = changedAddresses(after);
  if (region === "all") return () => true;
  if (region === "none") return () => false;
  return (range) =>
    region.some((c) => c.family === range.family && cidrLast(c) >= range.first && cidrFirst(c) <= range.last);
}

function coverageBits(before: ClusterState, after: ClusterState, e: Endpoint): number {
  return (isCovered(before, e.node, e.address) ? 2 : 0) + (isCovered(after, e.node, e.address) ? 1 : 0);
}

function nodeSourceOf(e: Endpoint, state: ClusterState, label?: string): Source {
  return {
    id: e.node.name,
    label: label ?? `${e.node.name} (${e.address.text})`,
    family: e.address.family,
    box: { kind: "node", end: nodeEnd(e.node, e.address) },
    uncovered: !isCovered(state, e.node, e.address),
  };
}

const nodeLists = new WeakMap<readonly Endpoint[], SourceList>();
const loopbackLists = new WeakMap<readonly Endpoint[], SourceList>();

/** A class's members as a sorted source list, made once per member list. */
function membersList(members: readonly Endpoint[], loopback = false): SourceList {
  return memoOnce(loopback ? loopbackLists : nodeLists, members, () => {
    const sorted = [...members].sort((a, b) => compareNames(a.node.name, b.node.name));
    return loopback
      ? { names: sorted.map((m) => `${m.node.name}@127.0.0.1`), labels: ["loopback (127.0.0.1)"] }
      : {
          names: sorted.map((m) => m.node.name),
          labels: sorted.slice(0, MAX_LISTED).map((m) => `${m.node.name} (${m.address.text})`),
        };
  });
}

function networkList(source: Source): SourceList {
  return { names: [source.id], labels: [source.label] };
}

/**
 * The sources and destinations of a box between two classes. A node's traffic to itself is local
 * (judged by the self classes), so a destination class of one node does not count that node among
 * the sources.
 */
function pairLists(
  srcs: readonly Endpoint[],
  dsts: readonly Endpoint[],
): { sources: SourceList; to: readonly string[] } {
  const to = membersList(dsts).names;
  const sources = membersList(srcs);
  if (to.length !== 1 || !sources.names.includes(to[0]!)) return { sources, to };
  const only = to[0]!;
  const keep = (n: string) => n !== only && !n.startsWith(`${only} (`);
  return { sources: { names: sources.names.filter(keep), labels: sources.labels.filter(keep) }, to };
}

/** A source and a destination of the two classes that are different nodes (a node to itself is local traffic). */
function distinctPair(
  srcs: readonly Endpoint[],
  dsts: readonly Endpoint[],
): readonly [Endpoint, Endpoint] | undefined {
  for (const s of srcs.slice(0, 2)) {
    const d = dsts.find((x) => x.node.name !== s.node.name);
    if (d) return [s, d];
  }
  return undefined;
}

/**
 * A box's verdicts from the shared cache (engine/box-cache.ts). For a node source the segments do
 * not carry its address: the key says the verdicts hold for every node of the class, at whatever
 * address it has.
 */
function boxOf(state: ClusterState, row: string, column: string, query: BoxQuery): Box {
  const evaluate = () => {
    const segments = evaluateBox(state, query);
    return query.from.kind === "node" ? segments.map((s) => ({ ...s, srcFirst: 0n, srcLast: 0n })) : segments;
  };
  const cached = cachedBox(row, column, evaluate);
  let segments = cached.segments;
  return {
    anyDenied: cached.anyDenied,
    segments: () => (segments ??= evaluate()),
  };
}

/** A box as judged: whether it denies anything, and its pieces when they are needed. */
interface Box {
  readonly anyDenied: boolean;
  segments(): readonly BoxSegment[];
}

/** A required port as a port spec, seen from both states (their named ports may differ). */
function portViews(
  before: ClusterState,
  after: ClusterState,
  port: RequiredPort,
): { q: PortSpec; va: PortView; vb: PortView } {
  const q: PortSpec = {
    protocol: port.protocol.number,
    ports: port.ports,
    icmpType: port.icmpType,
    icmpCode: port.icmpCode,
    path: port.path,
  };
  const spec = portSpecKey(q);
  return { q, va: portView(after, q, spec), vb: portView(before, q, spec) };
}

/** A box of traffic that stays on one node (its own address, or 127.0.0.1), in both states. */
function selfBoxes(
  before: ClusterState,
  after: ClusterState,
  va: PortView,
  vb: PortView,
  self: EndpointAt,
  box: BoxQuery,
): { now: Box; was: Box } {
  return {
    now: boxOf(after, nodeRow(after, va, self), nodeColumn(after, va, self), box),
    was: boxOf(before, nodeRow(before, vb, self), nodeColumn(before, vb, self), box),
  };
}

/** One state's view of a box's two ends, for the cache key. */
function nodeRow(state: ClusterState, v: PortView, from: EndpointAt): string {
  return `${v.spec}#${sideKey(state, from, "egress", v)}`;
}

function nodeColumn(state: ClusterState, v: PortView, to: EndpointAt): string {
  return sideKey(state, to, "ingress", v);
}

/** For a network source: the destination's side key and what the source range holds of its IP sets. */
function externalColumn(
  state: ClusterState,
  v: PortView,
  to: EndpointAt,
  side: string,
  source: Source,
): string {
  const sets = source.box.kind === "external" ? sourceSetsKey(state, to, v, source.box.range, source.id) : "";
  return `${side}#${sets}`;
}

/**
 * Judge every required flow of the config in both states. Nodes are grouped into classes whose
 * members get the same verdict for every flow (engine/signatures.ts), so the work grows with the
 * number of distinct node behaviours, not with nodes squared; a box whose inputs did not change is
 * read from the cache instead of evaluated; and a box between two classes the change did not touch
 * is not read at all unless it denied something before (design §4 "Speed", ADR 0008).
 */
export function judgeRequirements(
  before: ClusterState,
  after: ClusterState,
  config: GuardConfig,
  budget: Budget = UNLIMITED,
): { readonly current: Judged[]; readonly fixed: Judged[] } {
  return walk(before, after, config, { skip: deniedIndex(before, config, budget), budget });
}

/**
 * With `skip`, boxes between stable classes are read only when the index names them; with
 * `record`, the denying boxes among those read are recorded, and nothing is judged.
 */
type WalkMode = {
  readonly skip?: DeniedIndex;
  readonly record?: DeniedIndex;
  /** with `record`: cells already walked (skipped), and where finished cells are marked */
  readonly done?: Set<string>;
  readonly budget: Budget;
};

/**
 * Thrown inside this module only, when the budget runs out in the middle of a walk; requiredPorts
 * turns it into an incomplete result. Whatever the walk finished stays valid (cached boxes are
 * complete; the index of a state is stored only when its walk ends).
 */
class OutOfBudget extends Error {}

function walk(
  before: ClusterState,
  after: ClusterState,
  config: GuardConfig,
  mode: WalkMode,
): { readonly current: Judged[]; readonly fixed: Judged[] } {
  const out: Judged[] = [];
  const fixed: Judged[] = [];
  const { skip, record, done, budget } = mode;
  const classes = new EndpointClasses(before, after, config, budget);
  const moved = skip ? externalsMoved(before, after) : () => true;
  const check = () => {
    if (budget.expired()) throw new OutOfBudget("decision budget exhausted");
  };

  const judge = (
    requirement: Requirement,
    port: RequiredPort,
    now: Box,
    was: Box | undefined,
    sources: () => { before: Source | undefined; after: Source },
    lists: () => { sources: SourceList; to: readonly string[]; toSelf?: boolean },
  ) => {
    if (!now.anyDenied && !was?.anyDenied) return; // every flow allowed both times: nothing to say
    const { before: sourceBefore, after: sourceAfter } = sources();
    if (sourceAfter.uncovered) return; // its flows are node-coverage findings
    if (!sourceBefore) was = undefined;
    for (const piece of deniedPieces(now.segments(), was?.segments())) {
      const dropped = decider(piece.after.deciding);
      const introduced =
        piece.before?.verdict === "allow" && sourceBefore !== undefined && !sourceBefore.uncovered;
      const beforeDecider = introduced ? decider(allowingSide(piece.before!, dropped.side)) : undefined;
      const { sources, to, toSelf } = lists();
      if (to.length > 0 && sources.names.length > 0)
        out.push({
          requirement,
          port,
          source: sourceAfter,
          sources,
          to,
          toSelf,
          piece,
          dropped,
          before: beforeDecider,
        });
    }
    // Fixed: denied before (from a covered source), allowed now. Same boxes, read the other way.
    if (was && sourceBefore && !sourceBefore.uncovered && was.anyDenied) {
      for (const piece of deniedPieces(was.segments(), now.segments())) {
        if (piece.before?.verdict !== "allow") continue;
        const { sources, to, toSelf } = lists();
        if (to.length > 0 && sources.names.length > 0)
          fixed.push({
            requirement,
            port,
            source: sourceBefore,
            sources,
            to,
            toSelf,
            piece,
            dropped: decider(piece.after.deciding),
          });
      }
    }
  };

  config.requirements.forEach((requirement, r) => {
    const nodes = nodesOf(after, requirement);
    const dstNodes = nodes.dst;
    const srcNodeSet = nodes.src;
    const loopback = requirement.from.some((f) => f.kind === "loopback");
    for (const family of [4, 6] as const) {
      const dsts: Endpoint[] = dstNodes.flatMap((node) => {
        const address = firstOfFamily(node, family);
        return address ? [{ node, address }] : [];
      });
      const srcs: Endpoint[] = after.nodes
        .filter((n) => srcNodeSet.has(n.name))
        .flatMap((node) => {
          const address = firstOfFamily(node, family);
          return address ? [{ node, address }] : [];
        });
      if (dsts.length === 0) continue;
      // Destinations need no coverage split (the old code did not either): only a source's coverage
      // changes what is reported.
      const at = `${r}|${family}`;
      const dstClasses = classes.group(dsts, false, false, `${at}|dst`);
      const srcClasses = classes.group(srcs, false, true, `${at}|src`);
      const selfClasses = classes.group(
        dsts.filter((d) => srcNodeSet.has(d.node.name)),
        true,
        true,
        `${at}|self`,
      );
      const externals = requirement.from.flatMap((f) => networkSources(after, f, family));
      const externalsBefore = new Map(
        requirement.from.flatMap((f) => networkSources(before, f, family)).map((s) => [s.id, s]),
      );

      requirement.ports.forEach((port, p) => {
        const cell = `${r}|${family}|${p}`;
        if (done?.has(cell)) return;
        const denied = (kind: string) => skip?.get(`${cell}|${kind}`);
        const note = (kind: string, row: string, column: string, box: Box) => {
          if (record && box.anyDenied) indexAdd(record, `${cell}|${kind}`, row, column);
        };
        const deniedPairs = denied("pair");
        const deniedSelves = denied("self")?.get("");
        const deniedExternal = denied("external");
        const { q, va, vb } = portViews(before, after, port);
        const query = (from: BoxSource, to: Endpoint): BoxQuery => ({
          from,
          ...q,
          to: nodeEnd(to.node, to.address),
        });
        const remote = (e: Endpoint): EndpointAt => ({ ...e, local: false });

        // node → other node, one representative pair per (source class, destination class)
        const columns = new Map<Endpoint, { a: string; b: string }>();
        const column = (d: Endpoint) => {
          let c = columns.get(d);
          if (!c) {
            c = { a: nodeColumn(after, va, remote(d)), b: nodeColumn(before, vb, remote(d)) };
            columns.set(d, c);
          }
          return c;
        };
        for (const srcClass of srcClasses) {
          const rows = new Map<Endpoint, { a: string; b: string }>();
          const deniedColumns = deniedPairs?.get(srcClass.before);
          for (const dstClass of dstClasses) {
            if (skip && srcClass.stable && dstClass.stable && !deniedColumns?.has(dstClass.before)) continue;
            const pair = distinctPair(srcClass.members, dstClass.members);
            if (!pair) continue;
            const [s, d] = pair;
            // A source whose address is not covered reports nothing here (node-coverage does).
            if (!isCovered(after, s.node, s.address)) continue;
            let row = rows.get(s);
            if (!row) {
              row = { a: nodeRow(after, va, remote(s)), b: nodeRow(before, vb, remote(s)) };
              rows.set(s, row);
            }
            const col = column(d);
            // Same keys both times and nothing denied before: nothing to read (the common case for
            // a class the change touched only for other ports).
            if (skip && row.a === row.b && col.a === col.b && !deniedColumns?.has(dstClass.before)) continue;
            check(); // budget checks go where boxes are read: skipped boxes cost nothing
            const box = query({ kind: "node", end: nodeEnd(s.node, s.address) }, d);
            const now = boxOf(after, row.a, col.a, box);
            const was = row.a === row.b && col.a === col.b ? now : boxOf(before, row.b, col.b, box);
            note("pair", srcClass.after, dstClass.after, now);
            if (record) continue;
            judge(
              requirement,
              port,
              now,
              was,
              () => ({ before: nodeSourceOf(s, before), after: nodeSourceOf(s, after) }),
              () => pairLists(srcClass.members, dstClass.members),
            );
          }
        }
        // a node to itself (through lo): its own classes
        for (const cls of selfClasses) {
          if (skip && cls.stable && !deniedSelves?.has(cls.before)) continue;
          check();
          const rep = cls.members[0]!;
          if (!isCovered(after, rep.node, rep.address)) continue;
          const self: EndpointAt = { ...rep, local: true };
          const box = query({ kind: "node", end: nodeEnd(rep.node, rep.address) }, rep);
          const { now, was } = selfBoxes(before, after, va, vb, self, box);
          note("self", "", cls.after, now);
          if (record) continue;
          judge(
            requirement,
            port,
            now,
            was,
            () => ({ before: nodeSourceOf(rep, before), after: nodeSourceOf(rep, after) }),
            // each member to itself: one finding names them all, as the message groups them anyway
            () => ({ sources: membersList(cls.members), to: membersList(cls.members).names, toSelf: true }),
          );
        }
        // networks outside the cluster, per destination class
        for (const source of externals) {
          const sourceBefore = externalsBefore.get(source.id);
          const row = `${va.spec}#ext:${source.id}`;
          const sourceStable =
            sourceBefore !== undefined && source.box.kind === "external" && !moved(source.box.range);
          const deniedColumns = deniedExternal?.get(source.id);
          for (const dstClass of dstClasses) {
            if (skip && sourceStable && dstClass.stable && !deniedColumns?.has(dstClass.before)) continue;
            const rep = dstClass.members[0]!;
            const col = column(rep);
            if (skip && sourceStable && col.a === col.b && !deniedColumns?.has(dstClass.before)) continue;
            check();
            const box = query(source.box, rep);
            const now = boxOf(after, row, externalColumn(after, va, remote(rep), col.a, source), box);
            const was = sourceBefore
              ? boxOf(before, row, externalColumn(before, vb, remote(rep), col.b, sourceBefore), box)
              : undefined;
            note("external", source.id, dstClass.after, now);
            if (record) continue;
            judge(
              requirement,
              port,
              now,
              was,
              () => ({ before: sourceBefore, after: source }),
              () => ({ sources: networkList(source), to: membersList(dstClass.members).names }),
            );
          }
        }
        done?.add(cell);
      });
    }
    if (loopback && LOOPBACK.ok) {
      const lo = LOOPBACK.value;
      const ends: Endpoint[] = dstNodes.map((node) => ({ node, address: lo }));
      for (const cls of classes.group(ends, true, false, `${r}|loopback`)) {
        const rep = cls.members[0]!;
        const source = (e: Endpoint): Source => ({
          id: `${e.node.name}@127.0.0.1`,
          label: "loopback (127.0.0.1)",
          family: 4,
          box: { kind: "node", end: nodeEnd(e.node, lo) },
          uncovered: false,
        });
        const self: EndpointAt = { ...rep, local: true };
        requirement.ports.forEach((port, p) => {
          // (no `done` here: a loopback cell spans classes; its few boxes are read again)
          const kind = `${r}|4|${p}|loopback`;
          if (skip && cls.stable && !skip.get(kind)?.get("")?.has(cls.before)) return;
          check();
          const { q, va, vb } = portViews(before, after, port);
          const box: BoxQuery = { from: source(rep).box, ...q, to: nodeEnd(rep.node, lo) };
          const { now, was } = selfBoxes(before, after, va, vb, self, box);
          if (record) {
            if (now.anyDenied) indexAdd(record, kind, "", cls.after);
            return;
          }
          judge(
            requirement,
            port,
            now,
            was,
            () => ({ before: source(rep), after: source(rep) }),
            () => ({
              sources: membersList(cls.members, true),
              to: membersList(cls.members).names,
              toSelf: true,
            }),
          );
        });
      }
    }
  });
  return { current: out, fixed };
}

function decider(side: SideVerdict): Decider {
  return {
    verdict: side.verdict,
    side: side.side,
    node: side.node,
    hostEndpoint: side.hostEndpoint,
    stage: side.stage,
    tier: side.tier,
    policy: side.policy,
    rule: side.ruleIndex,
    reason: side.reason,
  };
}

/**
 * What let the flow through before, on the side that drops it now (so "dropped by egress default
 * deny" pairs with the egress policy that used to allow it).
 */
function allowingSide(outcome: BoxOutcome, side: SideVerdict["side"]): SideVerdict {
  return outcome.sides.find((s) => s.side === side) ?? outcome.sides[outcome.sides.length - 1]!;
}

export interface Piece {
  readonly srcFirst: bigint;
  readonly srcLast: bigint;
  readonly portMin?: number;
  readonly portMax?: number;
  readonly after: BoxOutcome;
  readonly before?: BoxOutcome;
}

/** The common refinement of two partitions of the same box, keeping only after-denied pieces. */
function deniedPieces(after: readonly BoxSegment[], before: readonly BoxSegment[] | undefined): Piece[] {
  const pieces: Piece[] = [];
  for (const a of after) {
    if (a.outcome.verdict !== "deny") continue;
    if (!before) {
      pieces.push({ ...a, after: a.outcome });
      continue;
    }
    for (const b of before) {
      const srcFirst = a.srcFirst > b.srcFirst ? a.srcFirst : b.srcFirst;
      const srcLast = a.srcLast < b.srcLast ? a.srcLast : b.srcLast;
      if (srcFirst > srcLast) continue;
      let portMin: number | undefined;
      let portMax: number | undefined;
      if (a.portMin !== undefined && b.portMin !== undefined) {
        portMin = Math.max(a.portMin, b.portMin);
        portMax = Math.min(a.portMax!, b.portMax!);
        if (portMin > portMax) continue;
      }
      pieces.push({ srcFirst, srcLast, portMin, portMax, after: a.outcome, before: b.outcome });
    }
  }
  return pieces;
}

function portsText(port: RequiredPort, piece: Piece): string | undefined {
  if (piece.portMin === undefined) return port.icmpType !== undefined ? `type ${port.icmpType}` : undefined;
  return piece.portMin === piece.portMax ? `${piece.portMin}` : `${piece.portMin}-${piece.portMax}`;
}

function sourceText(source: Source, piece: Piece): { from: string; label: string } {
  if (source.box.kind === "node") return { from: source.id, label: source.label };
  const { first, last } = source.box.range;
  if (piece.srcFirst === first && piece.srcLast === last) return { from: source.id, label: source.label };
  const cidrs = rangeToCidrs(source.family, piece.srcFirst, piece.srcLast);
  const shown =
    cidrs.slice(0, 2).join(", ") + (cidrs.length > 2 ? ` and ${cidrs.length - 2} more ranges` : "");
  return { from: cidrs[0] ?? source.id, label: `${source.label}: ${shown}` };
}

function deciderSignature(d: Decider | undefined): string {
  return d ? `${d.side}/${d.stage}/${d.tier ?? ""}/${d.policy ?? ""}/${d.rule ?? ""}` : "-";
}

/** A list in a key, by size and ends: a key must not grow with the cluster. */
function ends(list: readonly string[]): string {
  return list.length === 1 ? list[0]! : `${list.length}:${list[0] ?? ""}..${list[list.length - 1] ?? ""}`;
}

const listIds = new WeakMap<readonly string[], number>();
let nextListId = 1;

function listId(list: readonly string[]): number {
  return memoOnce(listIds, list, () => nextListId++);
}

/**
 * `node-1 (10.0.0.1)`, or `node-1 (10.0.0.1), node-2 (10.0.0.2) and 7 more`. Loopback sources
 * share one label ("loopback (127.0.0.1)"): it is said once.
 */
function sourcesText(sources: SourceList, max: number): string {
  const { names, labels } = sources;
  if (labels.length <= 1) return labels[0] ?? names[0] ?? "?";
  const head = labels.slice(0, max);
  const more = names.length - head.length;
  return more > 0 ? `${head.join(", ")} and ${more} more` : head.join(", ");
}

/**
 * Findings for judged rectangles, grouped when everything but the destination agrees. A finding
 * stands for a class pair (or a class and a network source): its lists are the classes' own,
 * shared and merged, so its cost does not grow with sources × destinations.
 */
function group(judged: readonly Judged[], kind: "introduced" | "pre-existing"): Finding[] {
  const groups = new Map<
    string,
    { finding: Omit<Finding, "to" | "key" | "message">; to: (readonly string[])[]; keyParts: string[] }
  >();
  for (const { requirement, port, source, sources, to, toSelf, piece, dropped, before } of judged) {
    const ports = portsText(port, piece);
    const network = source.box.kind === "external";
    const src = network ? sourceText(source, piece) : undefined;
    const list: SourceList = src ? { names: [src.from], labels: [src.label] } : sources;
    const fromKey = src ? `${src.from}|${src.label}` : `#${listId(sources.names)}`;
    const gkey = [
      requirement.name,
      port.protocol.name,
      ports ?? "",
      port.path,
      fromKey,
      toSelf ? "self" : "",
      deciderSignature(dropped),
      deciderSignature(before),
    ].join("|");
    const existing = groups.get(gkey);
    if (existing) {
      existing.to.push(to);
      continue;
    }
    groups.set(gkey, {
      finding: {
        check: "required-ports",
        severity: "violation",
        requirement: requirement.name,
        protocol: port.protocol.name,
        ports,
        from: list.names[0],
        ...(list.names.length > 1 && { fromAll: list.names }),
        fromLabels: list.labels,
        ...(toSelf && { toSelf }),
        path: port.path,
        droppedBy: dropped,
        allowedBefore: before,
      },
      to: [to],
      keyParts: [
        requirement.name,
        port.protocol.name,
        ports ?? "",
        port.path,
        toSelf ? "self" : "",
        ends(list.names),
      ],
    });
  }
  return [...groups.values()].map(({ finding, to: lists, keyParts }) => {
    const to = mergeSorted(lists);
    const what = `${finding.protocol}${finding.ports ? ` ${finding.ports}` : ""}${finding.path === "forward" ? " (forwarded, e.g. NodePort)" : ""}`;
    const from = sourcesText({ names: finding.fromAll ?? [finding.from!], labels: finding.fromLabels! }, 3);
    const where = finding.toSelf ? "each to itself" : `to ${listed(to, 5)}`;
    const message =
      kind === "introduced"
        ? `${what} from ${from} ${where} would be dropped`
        : `${what} from ${from} ${where} is dropped`;
    return {
      ...finding,
      to,
      key: `required-ports:${keyParts.join("|")}|${ends(to)}`,
      message,
    };
  });
}

/**
 * required-ports (design §5): every required flow that Calico allowed before the change must still
 * be allowed after it. A flow from a node whose own address is not covered by a HostEndpoint is not
 * reported here: such a node is not in selectors like has(kubernetes-host), and its remedy is its
 * HostEndpoint, which node-coverage reports (this keeps the usual rollout — policies first, then
 * one HEP per node — possible).
 */
export function requiredPorts(
  before: ClusterState,
  after: ClusterState,
  config: GuardConfig,
  budget: Budget = UNLIMITED,
): CheckResult {
  let judged: ReturnType<typeof judgeRequirements>;
  try {
    judged = judgeRequirements(before, after, config, budget);
  } catch (e) {
    if (!(e instanceof OutOfBudget)) throw e;
    return { introduced: [], preExisting: [], fixed: [], notes: [], incomplete: true };
  }
  const { current, fixed } = judged;
  return {
    introduced: group(
      current.filter((j) => j.before !== undefined),
      "introduced",
    ),
    preExisting: group(
      current.filter((j) => j.before === undefined),
      "pre-existing",
    ),
    fixed: group(fixed, "pre-existing"),
    notes: lostNetworkSources(before, after, config),
  };
}

/**
 * A GlobalNetworkSet change that removes networks from a requirement's sources is not a violation —
 * the set defines who is internal — but the networks that lose access are named (design §5).
 */
function lostNetworkSources(before: ClusterState, after: ClusterState, config: GuardConfig): string[] {
  const notes: string[] = [];
  for (const requirement of config.requirements) {
    for (const from of requirement.from) {
      if (from.kind !== "globalNetworkSets") continue;
      const nets = (state: ClusterState) =>
        new Map(
          state
            .list("GlobalNetworkSet")
            .filter((s) => selectorMatches(from.selector, s.labels))
            .flatMap((s) => s.nets.map((c) => [c.text, s.name] as const)),
        );
      const was = nets(before);
      const now = nets(after);
      const lost = [...was.entries()].filter(([cidr]) => !now.has(cidr));
      if (lost.length === 0) continue;
      const list = lost.map(([cidr]) => cidr).join(", ");
      notes.push(
        `${list} no longer in ${from.selector.source} sets: loses required access (${requirement.name})`,
      );
    }
  }
  return notes;
}
