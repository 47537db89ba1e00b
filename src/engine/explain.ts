import type { Direction } from "./policy-index.js";
import { evaluateSide, type SideVerdict, type Stage, type TraceStep, type Verdict } from "./evaluate.js";
import type { Flow, FlowEnd } from "./flow.js";
import { governingHostEndpoint } from "./hep-resolution.js";
import type { Packet } from "./packet.js";
import type { ClusterState } from "./state.js";

export interface FlowExplanation {
  readonly verdict: Verdict;
  /** the deciding side: the first side that denies, else the destination's ingress (or the only side) */
  readonly side: Direction;
  readonly node: string;
  readonly hostEndpoint?: string;
  readonly stage: Stage;
  readonly tier?: string;
  readonly policy?: string;
  readonly ruleIndex?: number;
  readonly reason: string;
  readonly sides: readonly SideVerdict[];
  readonly trace: readonly TraceStep[];
}

export function flowPacket(flow: Flow): Packet {
  return {
    src: flow.from.address,
    dst: flow.to.address,
    protocol: flow.protocol.number,
    dstPort: flow.port,
    srcPort: flow.srcPort,
    icmpType: flow.icmpType,
    icmpCode: flow.icmpCode,
  };
}

/** Traffic between two addresses of one node never leaves it: Linux routes it through `lo`. */
export function isNodeLocal(flow: Flow): boolean {
  return flow.from.kind === "node" && flow.to.kind === "node" && flow.from.node.name === flow.to.node.name;
}

function hepFor(state: ClusterState, end: FlowEnd & { kind: "node" }, local: boolean) {
  return governingHostEndpoint(state, end.node, local ? "loopback" : end.address);
}

/**
 * The verdict Calico gives a flow: the source node's host egress AND the destination node's host
 * ingress (design §4). Both sides are evaluated so the trace shows the whole path.
 */
export function explainFlow(state: ClusterState, flow: Flow, withTrace = true): FlowExplanation {
  const packet = flowPacket(flow);
  const local = isNodeLocal(flow);
  const trace: TraceStep[] | null = withTrace ? [] : null;
  const sides: SideVerdict[] = [];
  if (flow.from.kind === "node") {
    const hep = hepFor(state, flow.from, local);
    sides.push(
      evaluateSide(state, { side: "egress", node: flow.from.node, hep, packet, path: "host" }, trace),
    );
  }
  if (flow.to.kind === "node") {
    const hep = hepFor(state, flow.to, local);
    sides.push(
      evaluateSide(state, { side: "ingress", node: flow.to.node, hep, packet, path: flow.path }, trace),
    );
  }
  const deciding = sides.find((s) => s.verdict === "deny") ?? sides[sides.length - 1]!;
  return {
    verdict: deciding.verdict,
    side: deciding.side,
    node: deciding.node,
    hostEndpoint: deciding.hostEndpoint,
    stage: deciding.stage,
    tier: deciding.tier,
    policy: deciding.policy,
    ruleIndex: deciding.ruleIndex,
    reason: deciding.reason,
    sides,
    trace: trace ?? [],
  };
}
