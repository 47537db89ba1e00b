import { cidrContainsIp } from "../calico/net/ip.js";
import { PROTOCOL_NUMBERS, type HostEndpoint, type NodeResource, type ProtoPort } from "../calico/types.js";
import { effectiveFelixConfig, describeOrigin } from "./felix-config.js";
import type { Packet } from "./packet.js";
import { hepPolicies, type Direction, type HepPolicies, type TierPolicies } from "./policy-index.js";
import { ruleMatches } from "./rule-match.js";
import type { ClusterState } from "./state.js";

/** How the destination node handles the flow: a host process (`host`) or DNAT to a pod (`forward`). */
export type FlowPath = "host" | "forward";

export type Verdict = "allow" | "deny";

/**
 * The stage of Felix's chain that gave a side its verdict, in evaluation order
 * (calico-semantics §5.3–5.4): an interface without a HEP is not policed at all.
 */
export type Stage = "unpoliced" | "failsafe" | "untracked" | "preDNAT" | "normal" | "forward" | "profile";

export type StepOutcome = "allow" | "deny" | "pass" | "log" | "no-match" | "end-of-tier" | "skip";

/** One line of a trace: what one stage, tier, policy or rule did with the packet. */
export interface TraceStep {
  readonly side: Direction;
  readonly node: string;
  readonly stage: Stage;
  readonly tier?: string;
  readonly policy?: string;
  readonly ruleIndex?: number;
  readonly outcome: StepOutcome;
  readonly detail: string;
}

/** The verdict of one side (source egress or destination ingress) and what decided it. */
export interface SideVerdict {
  readonly side: Direction;
  readonly node: string;
  readonly hostEndpoint?: string;
  readonly verdict: Verdict;
  readonly stage: Stage;
  readonly tier?: string;
  readonly policy?: string;
  readonly ruleIndex?: number;
  readonly reason: string;
}

export interface SideInput {
  readonly side: Direction;
  readonly node: NodeResource;
  readonly hep: HostEndpoint | undefined;
  readonly packet: Packet;
  readonly path: FlowPath;
  /** the HEP's policy lists, when the caller has them narrowed to the packets it asks about */
  readonly policies?: HepPolicies;
}

/** Collects trace steps; the fast path passes `null` and pays nothing for tracing. */
export type TraceSink = TraceStep[] | null;

const DEFAULT_ALLOW_PROFILE = "projectcalico-default-allow";

function protoPortNumber(entry: ProtoPort): number {
  return PROTOCOL_NUMBERS[entry.protocol];
}

/**
 * Failsafe rules run before any policy in the normal, preDNAT and untracked chains, never on
 * forwarded traffic (felix/rules/static.go failsafeInChain/failsafeOutChain; calico-semantics §7.3).
 * Inbound entries match protocol + destination port + source `net`; outbound ones protocol +
 * destination port + destination `net`. A `net` of the other IP family does not match.
 */
function failsafeEntry(state: ClusterState, input: SideInput): ProtoPort | undefined {
  const { packet, side } = input;
  if (packet.dstPort === undefined) return undefined;
  const felix = effectiveFelixConfig(state, input.node);
  const list =
    side === "ingress" ? felix.failsafeInboundHostPorts.value : felix.failsafeOutboundHostPorts.value;
  const remote = side === "ingress" ? packet.src : packet.dst;
  return list.find(
    (e) =>
      protoPortNumber(e) === packet.protocol &&
      e.port === packet.dstPort &&
      (e.net === undefined || cidrContainsIp(e.net, remote)),
  );
}

type TierResult = Omit<SideVerdict, "side" | "node" | "hostEndpoint"> | undefined;

/**
 * One stage's tiers (felix/rules/endpoints.go endpointIptablesChain): first matching rule wins;
 * Allow/Deny are final, Pass leaves the tier, Log goes on. A tier with a policy for this direction
 * but no verdict ends in Deny — only in normal and forward chains and only when its defaultAction is
 * Deny; preDNAT and untracked tiers always end in Pass.
 */
function runTiers(
  state: ClusterState,
  input: SideInput,
  stage: Stage,
  tiers: readonly TierPolicies[],
  endOfTierDrop: boolean,
  trace: TraceSink,
): TierResult {
  const { side, packet } = input;
  const node = input.node.name;
  for (const { tier, policies, relevant } of tiers) {
    let passed = false;
    for (const policy of relevant ?? policies) {
      const rules = side === "ingress" ? policy.ingress : policy.egress;
      let matched = false;
      for (let i = 0; i < rules.length && !matched; i++) {
        const rule = rules[i]!;
        if (!ruleMatches(state, rule, packet)) continue;
        const at = { stage, tier: tier.name, policy: policy.name, ruleIndex: i };
        switch (rule.action) {
          case "Allow":
          case "Deny": {
            const verdict = rule.action === "Allow" ? "allow" : "deny";
            const reason = `${stage} policy ${policy.name} ${side} rule ${i} (${rule.action}) matches`;
            trace?.push({ side, node, ...at, outcome: verdict, detail: reason });
            return { verdict, ...at, reason };
          }
          case "Pass":
            trace?.push({
              side,
              node,
              ...at,
              outcome: "pass",
              detail: `rule ${i} (Pass): skip the rest of tier ${tier.name}`,
            });
            passed = true;
            matched = true;
            break;
          case "Log":
            trace?.push({
              side,
              node,
              ...at,
              outcome: "log",
              detail: `rule ${i} (Log): logged, evaluation goes on`,
            });
            break;
        }
      }
      if (passed) break;
      if (!matched) {
        trace?.push({
          side,
          node,
          stage,
          tier: tier.name,
          policy: policy.name,
          outcome: "no-match",
          detail: `no ${side} rule of ${policy.name} matches`,
        });
      }
    }
    if (passed) continue;
    if (endOfTierDrop && tier.defaultAction === "Deny") {
      const last = policies[policies.length - 1]!;
      const reason =
        `end of tier ${tier.name}: ${policies.length === 1 ? "policy" : "policies"} ` +
        `${policies
          .map((p) => p.name)
          .sort()
          .join(", ")} select the host endpoint for ${side} and no rule allows it`;
      trace?.push({ side, node, stage, tier: tier.name, outcome: "end-of-tier", detail: reason });
      return { verdict: "deny", stage, tier: tier.name, policy: last.name, reason };
    }
    trace?.push({
      side,
      node,
      stage,
      tier: tier.name,
      outcome: "pass",
      detail: `end of tier ${tier.name}: no verdict, ${endOfTierDrop ? "defaultAction Pass" : `${stage} tiers end in Pass`}`,
    });
  }
  return undefined;
}

/** The verdict of one side of a flow, following Felix's chain order for a host endpoint. */
export function evaluateSide(state: ClusterState, input: SideInput, trace: TraceSink): SideVerdict {
  const { side, hep, path } = input;
  const node = input.node.name;
  const base = { side, node, hostEndpoint: hep?.name };
  if (!hep) {
    const reason = `node ${node} has no HostEndpoint for this interface, so Felix does not police it`;
    trace?.push({ side, node, stage: "unpoliced", outcome: "allow", detail: reason });
    return { ...base, verdict: "allow", stage: "unpoliced", reason };
  }

  // Forwarded traffic gets no failsafe (calico-semantics §7.3, T6); the source side is always host egress.
  const forwarded = side === "ingress" && path === "forward";
  if (!forwarded) {
    const entry = failsafeEntry(state, input);
    if (entry) {
      const felix = effectiveFelixConfig(state, input.node);
      const field = side === "ingress" ? "failsafeInboundHostPorts" : "failsafeOutboundHostPorts";
      const origin = describeOrigin(felix[field].origin);
      const net = entry.net ? ` from ${entry.net.text}` : "";
      const reason = `${entry.protocol} ${entry.port}${net} is in ${field} (${origin}): failsafe, before any policy`;
      trace?.push({ side, node, stage: "failsafe", outcome: "allow", detail: reason });
      return { ...base, verdict: "allow", stage: "failsafe", reason };
    }
  }

  const policies = input.policies ?? hepPolicies(state, hep);
  const stages: readonly [Stage, readonly TierPolicies[]][] = [
    ["untracked", policies.untracked[side]],
    ["preDNAT", side === "ingress" ? policies.preDNAT.ingress : []],
  ];
  for (const [stage, tiers] of stages) {
    // An Allow in the raw or mangle table sets the accept mark; filter INPUT/FORWARD accept such
    // packets before normal and apply-on-forward policy (static.go acceptAlreadyAccepted; trap T1).
    const result = runTiers(state, input, stage, tiers, false, trace);
    if (result) return { ...base, ...result };
  }

  if (forwarded) {
    const tiers = policies.forward.ingress;
    if (tiers.length === 0) {
      const reason = `no apply-on-forward policy selects ${hep.name} for ingress: Felix allows forwarded traffic`;
      trace?.push({ side, node, stage: "forward", outcome: "allow", detail: reason });
      return { ...base, verdict: "allow", stage: "forward", reason };
    }
    const result = runTiers(state, input, "forward", tiers, true, trace);
    if (result) return { ...base, ...result };
    // Derived from endpoints.go: the forward chain returns without a verdict and the kernel's
    // FORWARD handling (accept, with Calico's own rules) lets the packet on. docs/engine.md.
    const reason = `every apply-on-forward tier passed: Felix returns without a verdict and the packet is forwarded`;
    trace?.push({ side, node, stage: "forward", outcome: "allow", detail: reason });
    return { ...base, verdict: "allow", stage: "forward", reason };
  }

  const result = runTiers(state, input, "normal", policies.normal[side], true, trace);
  if (result) return { ...base, ...result };

  // After the tiers the HEP's profiles decide; a missing profile gives no allow (endpoints.go; PR #3552).
  if (hep.profiles.includes(DEFAULT_ALLOW_PROFILE)) {
    const reason = `no policy decided; profile ${DEFAULT_ALLOW_PROFILE} of ${hep.name} allows`;
    trace?.push({ side, node, stage: "profile", outcome: "allow", detail: reason });
    return { ...base, verdict: "allow", stage: "profile", reason };
  }
  const why =
    policies.normal[side].length === 0
      ? `no normal policy selects ${hep.name} for ${side}`
      : "no policy allows it";
  const reason =
    hep.profiles.length === 0
      ? `${why} and ${hep.name} has no profile: default deny`
      : `${why} and no profile of ${hep.name} (${hep.profiles.join(", ")}) allows: default deny`;
  trace?.push({ side, node, stage: "profile", outcome: "deny", detail: reason });
  return { ...base, verdict: "deny", stage: "profile", reason };
}
