import { cidrFirst, cidrLast, parseIp } from "../calico/net/ip.js";
import { selectorMatches } from "../calico/selector/index.js";
import type { Cidr, IpAddress, IpFamily, NodeResource } from "../calico/types.js";
import type { GuardConfig, RequiredPort, RequiredSource, Requirement } from "../config/types.js";
import { evaluateBox, type BoxOutcome, type BoxSegment, type BoxSource } from "../engine/classes.js";
import type { SideVerdict } from "../engine/evaluate.js";
import type { FlowEnd } from "../engine/flow.js";
import { endpointSignature } from "../engine/signatures.js";
import type { ClusterState } from "../engine/state.js";
import { rangeToCidrs } from "./address-range.js";
import type { CheckResult } from "./check.js";
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

/** One rectangle of required flows, judged in both states, ready to become findings. */
export interface Judged {
  readonly requirement: Requirement;
  readonly port: RequiredPort;
  readonly source: Source;
  readonly to: readonly string[];
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

function groupBy<T>(items: readonly T[], key: (t: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const g = groups.get(k);
    if (g) g.push(item);
    else groups.set(k, [item]);
  }
  return [...groups.values()];
}

interface Endpoint {
  readonly node: NodeResource;
  readonly address: IpAddress;
}

/** Both states' signatures: an endpoint class behaves alike before and after the change. */
function pairSignature(before: ClusterState, after: ClusterState, e: Endpoint, local: boolean): string {
  return `${endpointSignature(before, e.node, e.address, local)}||${endpointSignature(after, e.node, e.address, local)}`;
}

function coverageKey(before: ClusterState, after: ClusterState, e: Endpoint): string {
  return `${isCovered(before, e.node, e.address)}/${isCovered(after, e.node, e.address)}`;
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

/**
 * Judge every required flow of the config in both states. Nodes are grouped into classes whose
 * members get the same verdict for every flow (engine/signatures.ts), so the work grows with the
 * number of distinct node behaviours, not with nodes squared (design §4 "Speed").
 */
export function judgeRequirements(
  before: ClusterState,
  after: ClusterState,
  config: GuardConfig,
): { readonly current: Judged[]; readonly fixed: Judged[] } {
  const out: Judged[] = [];
  const fixed: Judged[] = [];
  const judge = (
    requirement: Requirement,
    port: RequiredPort,
    sourceBefore: Source | undefined,
    sourceAfter: Source,
    to: FlowEnd & { kind: "node" },
    members: (piece: Piece) => { source: Source; to: readonly string[] }[],
  ) => {
    if (sourceAfter.uncovered) return; // its flows are node-coverage findings
    const query = (source: Source) => ({
      from: source.box,
      to,
      protocol: port.protocol.number,
      ports: port.ports,
      icmpType: port.icmpType,
      icmpCode: port.icmpCode,
      path: port.path,
    });
    const now = evaluateBox(after, query(sourceAfter));
    const was = sourceBefore ? evaluateBox(before, query(sourceBefore)) : undefined;
    for (const piece of deniedPieces(now, was)) {
      const dropped = decider(piece.after.deciding);
      const introduced =
        piece.before?.verdict === "allow" && sourceBefore !== undefined && !sourceBefore.uncovered;
      const beforeDecider = introduced ? decider(allowingSide(piece.before!, dropped.side)) : undefined;
      for (const m of members(piece)) {
        if (m.to.length > 0)
          out.push({ requirement, port, source: m.source, to: m.to, piece, dropped, before: beforeDecider });
      }
    }
    // Fixed: denied before (from a covered source), allowed now. Same boxes, read the other way.
    if (was && sourceBefore && !sourceBefore.uncovered) {
      for (const piece of deniedPieces(was, now)) {
        if (piece.before?.verdict !== "allow") continue;
        for (const m of members(piece)) {
          if (m.to.length > 0)
            fixed.push({
              requirement,
              port,
              source: m.source,
              to: m.to,
              piece,
              dropped: decider(piece.after.deciding),
            });
        }
      }
    }
  };

  for (const requirement of config.requirements) {
    const dstNodes = after.nodes.filter((n) => selectorMatches(requirement.to.nodes, n.labels));
    const srcNodeSet = new Set(sourceNodes(after, requirement).map((n) => n.name));
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
      const dstClasses = groupBy(dsts, (e) => pairSignature(before, after, e, false));
      const srcClasses = groupBy(
        srcs,
        (e) => `${pairSignature(before, after, e, false)}#${coverageKey(before, after, e)}`,
      );
      const externals = requirement.from.flatMap((f) => networkSources(after, f, family));
      const externalsBefore = new Map(
        requirement.from.flatMap((f) => networkSources(before, f, family)).map((s) => [s.id, s]),
      );

      for (const port of requirement.ports) {
        // node → other node, one representative pair per (source class, destination class)
        for (const srcClass of srcClasses) {
          for (const dstClass of dstClasses) {
            const pair = distinctPair(srcClass, dstClass);
            if (!pair) continue;
            const [s, d] = pair;
            const names = dstClass.map((x) => x.node.name);
            const inClass = new Set(names);
            judge(
              requirement,
              port,
              nodeSourceOf(s, before),
              nodeSourceOf(s, after),
              nodeEnd(d.node, d.address),
              () =>
                srcClass.map((m) => ({
                  source: nodeSourceOf(m, after),
                  to: inClass.has(m.node.name) ? names.filter((n) => n !== m.node.name) : names,
                })),
            );
          }
        }
        // a node to itself (through lo): its own classes
        const selves = dsts.filter((d) => srcNodeSet.has(d.node.name));
        for (const cls of groupBy(
          selves,
          (e) => `${pairSignature(before, after, e, true)}#${coverageKey(before, after, e)}`,
        )) {
          const rep = cls[0]!;
          judge(
            requirement,
            port,
            nodeSourceOf(rep, before),
            nodeSourceOf(rep, after),
            nodeEnd(rep.node, rep.address),
            () => cls.map((m) => ({ source: nodeSourceOf(m, after), to: [m.node.name] })),
          );
        }
        // networks outside the cluster, per destination class
        for (const source of externals) {
          for (const dstClass of dstClasses) {
            const rep = dstClass[0]!;
            judge(
              requirement,
              port,
              externalsBefore.get(source.id),
              source,
              nodeEnd(rep.node, rep.address),
              () => [{ source, to: dstClass.map((x) => x.node.name) }],
            );
          }
        }
      }
    }
    if (loopback && LOOPBACK.ok) {
      const lo = LOOPBACK.value;
      const ends: Endpoint[] = dstNodes.map((node) => ({ node, address: lo }));
      for (const cls of groupBy(ends, (e) => pairSignature(before, after, e, true))) {
        const rep = cls[0]!;
        const source = (e: Endpoint): Source => ({
          id: `${e.node.name}@127.0.0.1`,
          label: "loopback (127.0.0.1)",
          family: 4,
          box: { kind: "node", end: nodeEnd(e.node, lo) },
          uncovered: false,
        });
        for (const port of requirement.ports) {
          judge(requirement, port, source(rep), source(rep), nodeEnd(rep.node, lo), () =>
            cls.map((m) => ({ source: source(m), to: [m.node.name] })),
          );
        }
      }
    }
  }
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

/** Findings for judged rectangles, grouped when everything but the destination agrees. */
function group(judged: readonly Judged[], kind: "introduced" | "pre-existing"): Finding[] {
  const groups = new Map<
    string,
    { finding: Omit<Finding, "to" | "key" | "message">; to: Set<string>; keyParts: string[] }
  >();
  for (const { requirement, port, source, to, piece, dropped, before } of judged) {
    const ports = portsText(port, piece);
    const src = sourceText(source, piece);
    const gkey = [
      requirement.name,
      port.protocol.name,
      ports ?? "",
      port.path,
      src.from,
      src.label,
      deciderSignature(dropped),
      deciderSignature(before),
    ].join("|");
    const existing = groups.get(gkey);
    if (existing) {
      for (const t of to) existing.to.add(t);
      continue;
    }
    groups.set(gkey, {
      finding: {
        check: "required-ports",
        severity: "violation",
        requirement: requirement.name,
        protocol: port.protocol.name,
        ports,
        from: src.from,
        fromLabel: src.label,
        path: port.path,
        droppedBy: dropped,
        allowedBefore: before,
      },
      to: new Set(to),
      keyParts: [requirement.name, port.protocol.name, ports ?? "", port.path, src.from],
    });
  }
  return [...groups.values()].map(({ finding, to: toSet, keyParts }) => {
    const to = [...toSet].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
    const what = `${finding.protocol}${finding.ports ? ` ${finding.ports}` : ""}${finding.path === "forward" ? " (forwarded, e.g. NodePort)" : ""}`;
    const shown = to.length > 5 ? `${to.slice(0, 5).join(", ")} and ${to.length - 5} more` : to.join(", ");
    const message =
      kind === "introduced"
        ? `${what} from ${finding.fromLabel} to ${shown} would be dropped`
        : `${what} from ${finding.fromLabel} to ${shown} is dropped`;
    return { ...finding, to, key: `required-ports:${keyParts.join("|")}|${to.join(",")}`, message };
  });
}

/**
 * required-ports (design §5): every required flow that Calico allowed before the change must still
 * be allowed after it. A flow from a node whose own address is not covered by a HostEndpoint is not
 * reported here: such a node is not in selectors like has(kubernetes-host), and its remedy is its
 * HostEndpoint, which node-coverage reports (this keeps the usual rollout — policies first, then
 * one HEP per node — possible).
 */
export function requiredPorts(before: ClusterState, after: ClusterState, config: GuardConfig): CheckResult {
  const { current, fixed } = judgeRequirements(before, after, config);
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
