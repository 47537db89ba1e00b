import type { Stage, Verdict } from "../engine/evaluate.js";
import type { Direction } from "../engine/policy-index.js";

export type CheckId = "required-ports" | "node-coverage" | "failsafe-ports" | "calico-valid";

/** What decided a flow: which side, stage, tier, policy and rule (or end of tier / profile). */
export interface Decider {
  readonly verdict: Verdict;
  readonly side: Direction;
  readonly node: string;
  readonly hostEndpoint?: string;
  readonly stage: Stage;
  readonly tier?: string;
  readonly policy?: string;
  readonly rule?: number;
  readonly reason: string;
}

/**
 * One problem a check reports. Fields are stable (they are the JSON of `hostguard check` and the
 * audit log). `key` identifies the problem across the before and after states, so a decision can
 * tell introduced, pre-existing and fixed findings apart.
 */
export interface Finding {
  readonly check: CheckId;
  readonly key: string;
  /** `violation`: introducing it denies the change; `advisory`: only ever a warning */
  readonly severity: "violation" | "advisory";
  readonly message: string;
  readonly requirement?: string;
  readonly protocol?: string;
  /** `10250`, `30000-32767` */
  readonly ports?: string;
  /** a node name, or a CIDR for network sources; with several sources, the first of `fromAll` */
  readonly from?: string;
  /**
   * required-ports: every source the finding stands for, sorted (a class of nodes shares one
   * verdict, so one finding names them all); lists are shared between findings, never copied.
   */
  readonly fromAll?: readonly string[];
  /** how the first sources read in a message: `node-2 (172.18.10.2)`, `set allow-ips 192.168.100.0/24` */
  readonly fromLabels?: readonly string[];
  /** destination nodes, sorted */
  readonly to?: readonly string[];
  /** required-ports: traffic that stays on each source node (each of `fromAll` to itself) */
  readonly toSelf?: boolean;
  readonly node?: string;
  readonly path?: "host" | "forward";
  /** failsafe-ports: which list */
  readonly direction?: "inbound" | "outbound";
  /** calico-valid: the field */
  readonly field?: string;
  /** required-ports: what drops the flow now, and what allowed it before the change */
  readonly droppedBy?: Decider;
  readonly allowedBefore?: Decider;
}

export function describeDecider(d: Decider): string {
  const hep = d.hostEndpoint ? `HostEndpoint ${d.hostEndpoint}` : "the HostEndpoint";
  if (d.stage === "unpoliced") return `nothing: ${d.node} had no HostEndpoint on that interface`;
  if (d.stage === "failsafe") return `a failsafe port of ${d.node}`;
  if (d.stage === "profile") {
    return d.verdict === "allow"
      ? `the allow-all profile of ${hep} (${d.side})`
      : `${d.side} default deny of ${hep} on ${d.node}: no policy allows it and it has no allow profile`;
  }
  if (d.rule !== undefined) return `${d.stage} policy ${d.policy} ${d.side} rule ${d.rule} (on ${d.node})`;
  if (d.stage === "forward" && !d.policy) return `no apply-on-forward policy on ${d.node}`;
  return `end of tier ${d.tier}: ${d.stage} policy ${d.policy} selects ${hep} for ${d.side} and no rule allows it`;
}
