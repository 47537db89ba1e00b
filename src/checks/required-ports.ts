import { cidrFirst, cidrLast, parseIp } from "../calico/net/ip.js";
import { selectorMatches } from "../calico/selector/index.js";
import type { Cidr, IpAddress, IpFamily, NodeResource } from "../calico/types.js";
import type { GuardConfig, RequiredPort, RequiredSource, Requirement } from "../config/types.js";
import { evaluateBox, type BoxOutcome, type BoxSegment, type BoxSource } from "../engine/classes.js";
import type { SideVerdict } from "../engine/evaluate.js";
import type { FlowEnd } from "../engine/flow.js";
import type { ClusterState } from "../engine/state.js";
import { rangeToCidrs } from "./address-range.js";
import type { CheckResult } from "./check.js";
import { isCovered } from "./coverage.js";
import type { Decider, Finding } from "./finding.js";

const LOOPBACK = parseIp("127.0.0.1");
const ALL_V4 = "0.0.0.0/0";
const ALL_V6 = "::/0";

/** One concrete source of a requirement in one state. */
interface Source {
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

/** One box to evaluate: requirement × port entry × destination (node, address) × source. */
interface Instance {
  readonly key: string;
  readonly requirement: Requirement;
  readonly port: RequiredPort;
  readonly to: string;
  readonly source: Source;
  readonly segments: readonly BoxSegment[];
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

function nodeSources(state: ClusterState, nodes: readonly NodeResource[], family: IpFamily): Source[] {
  return nodes.flatMap((node) => {
    const address = firstOfFamily(node, family);
    if (!address) return [];
    return [
      {
        id: node.name,
        label: `${node.name} (${address.text})`,
        family,
        box: { kind: "node", end: nodeEnd(node, address) },
        uncovered: !isCovered(state, node, address),
      } satisfies Source,
    ];
  });
}

/** The concrete sources of one `from` entry, for destinations of one IP family. */
function expandSource(state: ClusterState, from: RequiredSource, family: IpFamily): Source[] {
  switch (from.kind) {
    case "nodes":
      return nodeSources(
        state,
        state.nodes.filter((n) => selectorMatches(from.selector, n.labels)),
        family,
      );
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
      const cidr = { family, base: 0n, prefix: 0, text: world } satisfies Cidr;
      return [...nodeSources(state, state.nodes, family), netSource(cidr, `anywhere (${world})`)];
    }
    case "loopback":
      return []; // handled per destination: the node talks to itself at 127.0.0.1
  }
}

/** Every box a requirement asks about in one state, evaluated. */
function evaluateRequirements(state: ClusterState, config: GuardConfig): Map<string, Instance> {
  const out = new Map<string, Instance>();
  for (const requirement of config.requirements) {
    const destinations = state.nodes.filter((n) => selectorMatches(requirement.to.nodes, n.labels));
    for (const dst of destinations) {
      const targets: { end: FlowEnd & { kind: "node" }; sources: Source[] }[] = [];
      for (const family of [4, 6] as const) {
        const address = firstOfFamily(dst, family);
        if (!address) continue;
        const sources = requirement.from
          .filter((f) => f.kind !== "loopback")
          .flatMap((f) => expandSource(state, f, family));
        targets.push({ end: nodeEnd(dst, address), sources: dedupe(sources) });
      }
      if (requirement.from.some((f) => f.kind === "loopback") && LOOPBACK.ok) {
        const end = nodeEnd(dst, LOOPBACK.value);
        targets.push({
          end,
          sources: [
            {
              id: `${dst.name}@127.0.0.1`,
              label: "loopback (127.0.0.1)",
              family: 4,
              box: { kind: "node", end },
              uncovered: false,
            },
          ],
        });
      }
      for (const { end, sources } of targets) {
        for (const port of requirement.ports) {
          for (const source of sources) {
            const key = [requirement.name, port.label, port.path, dst.name, end.address.text, source.id].join(
              "|",
            );
            const segments = evaluateBox(state, {
              from: source.box,
              to: end,
              protocol: port.protocol.number,
              ports: port.ports,
              icmpType: port.icmpType,
              icmpCode: port.icmpCode,
              path: port.path,
            });
            out.set(key, { key, requirement, port, to: dst.name, source, segments });
          }
        }
      }
    }
  }
  return out;
}

function dedupe(sources: Source[]): Source[] {
  const seen = new Set<string>();
  return sources.filter((s) => (seen.has(s.id) ? false : (seen.add(s.id), true)));
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

interface Piece {
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

/** Findings for pieces of many destinations, grouped when everything but the destination agrees. */
function group(
  raw: { instance: Instance; piece: Piece; dropped: Decider; before?: Decider }[],
  kind: "introduced" | "pre-existing",
): Finding[] {
  const groups = new Map<
    string,
    { finding: Omit<Finding, "to" | "key" | "message">; to: string[]; keyParts: string[] }
  >();
  for (const { instance, piece, dropped, before } of raw) {
    const { requirement, port, source } = instance;
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
      if (!existing.to.includes(instance.to)) existing.to.push(instance.to);
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
      to: [instance.to],
      keyParts: [requirement.name, port.protocol.name, ports ?? "", port.path, src.from],
    });
  }
  return [...groups.values()].map(({ finding, to, keyParts }) => {
    const what = `${finding.protocol}${finding.ports ? ` ${finding.ports}` : ""}${finding.path === "forward" ? " (forwarded, e.g. NodePort)" : ""}`;
    const message =
      kind === "introduced"
        ? `${what} from ${finding.fromLabel} to ${to.join(", ")} would be dropped`
        : `${what} from ${finding.fromLabel} to ${to.join(", ")} is dropped`;
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
  const was = evaluateRequirements(before, config);
  const now = evaluateRequirements(after, config);
  const introduced: Parameters<typeof group>[0] = [];
  const preExisting: Parameters<typeof group>[0] = [];
  const fixed: Parameters<typeof group>[0] = [];

  for (const instance of now.values()) {
    if (instance.source.uncovered) continue;
    const previous = was.get(instance.key);
    for (const piece of deniedPieces(instance.segments, previous?.segments)) {
      const dropped = decider(piece.after.deciding);
      if (piece.before && piece.before.verdict === "allow" && previous && !previous.source.uncovered) {
        introduced.push({
          instance,
          piece,
          dropped,
          before: decider(allowingSide(piece.before, dropped.side)),
        });
      } else {
        preExisting.push({ instance, piece, dropped });
      }
    }
  }
  for (const instance of was.values()) {
    if (instance.source.uncovered) continue;
    const current = now.get(instance.key);
    if (!current) continue;
    for (const piece of deniedPieces(instance.segments, current.segments)) {
      // here "after" is the before state and "before" the after state: denied then, allowed now
      if (piece.before && piece.before.verdict === "allow") {
        fixed.push({ instance, piece, dropped: decider(piece.after.deciding) });
      }
    }
  }
  return {
    introduced: group(introduced, "introduced"),
    preExisting: group(preExisting, "pre-existing"),
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
