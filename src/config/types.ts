/**
 * The guard's configuration (design §6), after parsing and validation. Built-in profiles are
 * already expanded into `requirements`.
 */
import type { Cidr, PortRange, Protocol, ProtoPort, Selector } from "../calico/types.js";
import type { FlowPath } from "../engine/evaluate.js";

/** enforce: deny violations; warn: admit them as warnings; audit: admit silently, log only. */
export type Mode = "enforce" | "warn" | "audit";

export const PROFILE_NAMES = ["rancher", "kubeadm", "calico"] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** One required port entry: `tcp:6443`, `udp:30000-32767` (path forward), `icmp:8`, `ipip`. */
export interface RequiredPort {
  readonly protocol: Protocol;
  /** for TCP, UDP and SCTP */
  readonly ports?: PortRange;
  /** for ICMP / ICMPv6 */
  readonly icmpType?: number;
  readonly icmpCode?: number;
  readonly path: FlowPath;
  /** as people read it in messages: `TCP 6443`, `UDP 30000-32767`, `ICMP type 8`, `IPIP` */
  readonly label: string;
}

/**
 * Where required traffic comes from:
 * - `nodes`: every Node matching the selector (over Node labels), at its InternalIPs;
 * - `globalNetworkSets`: the nets of every GlobalNetworkSet matching the selector;
 * - `nets`: literal CIDRs;
 * - `anywhere`: every address, inside the cluster and out (all nodes + 0.0.0.0/0 + ::/0);
 * - `loopback`: the destination node itself at 127.0.0.1 (a process talking to a local one).
 */
export type RequiredSource =
  | { readonly kind: "nodes"; readonly selector: Selector }
  | { readonly kind: "globalNetworkSets"; readonly selector: Selector }
  | { readonly kind: "nets"; readonly nets: readonly Cidr[] }
  | { readonly kind: "anywhere" }
  | { readonly kind: "loopback" };

export interface Requirement {
  /** stable id used in findings and metrics: `rancher`, `kubeadm/control-plane`, or the custom name */
  readonly name: string;
  /** destination nodes: a Calico selector over Node labels */
  readonly to: { readonly nodes: Selector };
  readonly from: readonly RequiredSource[];
  readonly ports: readonly RequiredPort[];
}

/** Failsafe entries that every node's effective lists must keep (protocol, port, and at least this `net`). */
export interface FailsafeRequirement {
  readonly inbound: readonly ProtoPort[];
  readonly outbound: readonly ProtoPort[];
}

export interface BreakGlass {
  /** annotation on the object whose value is the reason: `hostguard.dev/break-glass` */
  readonly annotation: string;
  readonly users: readonly string[];
  readonly groups: readonly string[];
}

export interface GuardConfig {
  readonly mode: Mode;
  readonly profiles: readonly ProfileName[];
  /** the profiles' requirements first, then the custom ones */
  readonly requirements: readonly Requirement[];
  readonly failsafe: FailsafeRequirement;
  /** which Nodes must have a HostEndpoint */
  readonly coverage: { readonly nodes: Selector };
  readonly breakGlass: BreakGlass;
  /** pre-existing findings shown as warnings before one summary line (kubectl shows each warning) */
  readonly maxWarnings: number;
}
