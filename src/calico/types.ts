/**
 * The normalised Calico model: what hostguard knows about each object after `normalize()`.
 *
 * Both API groups (`projectcalico.org/v3` and `crd.projectcalico.org/v1`) normalise to the same shapes;
 * the differences that matter to Felix (v1 labels in the `projectcalico.org/metadata` annotation,
 * `default.` name prefixes, un-defaulted policy `types`) are resolved by `normalize`, see
 * calico-semantics §2.3. Everything is readonly plain data.
 */
import type { Labels, Selector } from "./selector/ast.js";

export type { Labels, Selector } from "./selector/ast.js";

// ---------------------------------------------------------------------------------------------
// Network primitives

export type IpFamily = 4 | 6;

/** One IPv4 or IPv6 address. `value` is the address as an unsigned integer (32 or 128 bits). */
export interface IpAddress {
  readonly family: IpFamily;
  readonly value: bigint;
  /** canonical text: dotted quad, or RFC 5952 compressed lower-case IPv6 */
  readonly text: string;
}

/**
 * A CIDR. Host bits are masked off (`10.0.0.1/8` becomes `10.0.0.0/8`): the kernel matches the
 * masked network, so that is what the rule means. A plain IP is a /32 or /128.
 */
export interface Cidr {
  readonly family: IpFamily;
  /** the network address, host bits zero */
  readonly base: bigint;
  readonly prefix: number;
  /** canonical text, always with the prefix: `10.0.0.0/8`, `fd00::/8`, `10.10.0.5/32` */
  readonly text: string;
}

/** An inclusive port range; a single port is `{min: p, max: p}`. Ports are 1..65535 in rules. */
export interface PortRange {
  readonly min: number;
  readonly max: number;
}

/** One entry of a rule's `ports` / `notPorts`: a number, a `"min:max"` range, or a named port. */
export type PortMatch =
  | { readonly kind: "range"; readonly min: number; readonly max: number }
  | { readonly kind: "named"; readonly name: string };

/** IANA protocol numbers of the names Calico accepts (exact case): calico-semantics §3.2. */
export const PROTOCOL_NUMBERS = {
  TCP: 6,
  UDP: 17,
  ICMP: 1,
  ICMPv6: 58,
  SCTP: 132,
  UDPLite: 136,
} as const;

export type ProtocolName = keyof typeof PROTOCOL_NUMBERS;

/**
 * A protocol as the dataplane matches it: by number. `name` is the canonical name when the number
 * has one Calico knows (`TCP`), else the decimal number (`"4"`), for messages.
 */
export interface Protocol {
  readonly number: number;
  readonly name: string;
}

export interface IcmpMatch {
  readonly type: number;
  readonly code?: number;
}

// ---------------------------------------------------------------------------------------------
// Objects

export type ApiVersion = "v1" | "projectcalico.org/v3" | "crd.projectcalico.org/v1";

/** What every normalised object carries. Labels/annotations are the effective ones (v1 overlay resolved). */
export interface ObjectMeta {
  readonly apiVersion: ApiVersion;
  readonly name: string;
  readonly labels: Labels;
  readonly annotations: ReadonlyMap<string, string>;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly creationTimestamp?: string;
}

/** A Kubernetes Node, slimmed to what the engine needs. */
export interface NodeResource extends ObjectMeta {
  readonly kind: "Node";
  /** `status.addresses` of type InternalIP, in order; the first is "the node's address" in flows */
  readonly internalIPs: readonly IpAddress[];
  readonly externalIPs: readonly IpAddress[];
}

export interface NamedPort {
  readonly name: string;
  readonly protocol: Protocol;
  readonly port: number;
}

export interface HostEndpoint extends ObjectMeta {
  readonly kind: "HostEndpoint";
  readonly node: string;
  /** `""` when unset, `"*"` for the wildcard HEP, else an interface name */
  readonly interfaceName: string;
  readonly expectedIPs: readonly IpAddress[];
  readonly profiles: readonly string[];
  readonly ports: readonly NamedPort[];
}

export interface GlobalNetworkSet extends ObjectMeta {
  readonly kind: "GlobalNetworkSet";
  readonly nets: readonly Cidr[];
}

export type RuleAction = "Allow" | "Deny" | "Log" | "Pass";

export interface ServiceAccountMatch {
  readonly names: readonly string[];
  readonly selector?: Selector;
}

export interface ServiceMatch {
  readonly name: string;
  readonly namespace?: string;
}

/**
 * A rule's `source` or `destination`. Empty arrays mean "no constraint", as in Felix (a field is
 * only rendered when the list is non-empty). `selector` is undefined when the field is absent or
 * the empty string: an empty rule selector does not filter (calico-semantics §6), unlike `all()`.
 */
export interface EntityRule {
  readonly nets: readonly Cidr[];
  readonly notNets: readonly Cidr[];
  readonly selector?: Selector;
  readonly notSelector?: Selector;
  readonly namespaceSelector?: Selector;
  readonly ports: readonly PortMatch[];
  readonly notPorts: readonly PortMatch[];
  readonly serviceAccounts?: ServiceAccountMatch;
  readonly services?: ServiceMatch;
}

export interface Rule {
  readonly action: RuleAction;
  readonly ipVersion?: IpFamily;
  readonly protocol?: Protocol;
  readonly notProtocol?: Protocol;
  readonly icmp?: IcmpMatch;
  readonly notICMP?: IcmpMatch;
  readonly source: EntityRule;
  readonly destination: EntityRule;
  /** application-layer match; no effect at the host firewall (calico-semantics §3.5) */
  readonly hasHttpMatch: boolean;
}

export interface PolicyTypes {
  readonly ingress: boolean;
  readonly egress: boolean;
}

export interface GlobalNetworkPolicy extends ObjectMeta {
  readonly kind: "GlobalNetworkPolicy";
  /** `name` is the policy name as Calico reports it: `default.` stripped, `<tier>.<name>` kept for other tiers */
  readonly storedName: string;
  readonly tier: string;
  /** undefined = last (Felix sorts a missing order as +Inf) */
  readonly order?: number;
  readonly selector: Selector;
  readonly namespaceSelector?: Selector;
  readonly serviceAccountSelector?: Selector;
  /**
   * Effective directions as Felix applies them. v3 objects are defaulted the way the Calico client
   * does; v1 objects with no or empty `types` are Ingress+Egress (trap T3). `typesDefaulted` says
   * the value was not written by the user.
   */
  readonly types: PolicyTypes;
  readonly typesDefaulted: boolean;
  readonly ingress: readonly Rule[];
  readonly egress: readonly Rule[];
  readonly preDNAT: boolean;
  readonly doNotTrack: boolean;
  readonly applyOnForward: boolean;
}

export type ProtoPortProtocol = "TCP" | "UDP" | "SCTP";

/** One failsafe entry (`failsafeInboundHostPorts` / `failsafeOutboundHostPorts`). */
export interface ProtoPort {
  readonly protocol: ProtoPortProtocol;
  readonly port: number;
  /** restricts the remote address (source inbound, destination outbound); undefined = any */
  readonly net?: Cidr;
}

/** Where a FelixConfiguration value came from: the spec field, or a `config.projectcalico.org/<Param>` annotation. */
export type FelixValueSource = "spec" | "annotation";

export interface FelixValue<T> {
  readonly value: T;
  readonly source: FelixValueSource;
}

export type EndpointToHostAction = "Drop" | "Accept" | "Return";

/**
 * Felix parameters hostguard models. A field is undefined when this resource does not set it
 * (so a lower-precedence source decides); `[]` is an explicit empty list ("none" to Felix).
 */
export interface FelixFields {
  readonly failsafeInboundHostPorts?: FelixValue<readonly ProtoPort[]>;
  readonly failsafeOutboundHostPorts?: FelixValue<readonly ProtoPort[]>;
  readonly defaultEndpointToHostAction?: FelixValue<EndpointToHostAction>;
}

/** Which nodes a FelixConfiguration applies to (calico-semantics §7.4). */
export type FelixScope =
  | { readonly kind: "global" }
  | { readonly kind: "node"; readonly node: string }
  /** v3.32: any other name is scoped by `spec.nodeSelector`; without one it applies to no node */
  | { readonly kind: "selector"; readonly nodeSelector?: Selector };

export interface FelixConfiguration extends ObjectMeta {
  readonly kind: "FelixConfiguration";
  readonly scope: FelixScope;
  readonly fields: FelixFields;
}

export type AutoCreate = "Enabled" | "Disabled";

export interface KubeControllersConfiguration extends ObjectMeta {
  readonly kind: "KubeControllersConfiguration";
  /** `spec.controllers.node.hostEndpoint.autoCreate`; undefined when not set */
  readonly autoCreateHostEndpoints?: AutoCreate;
}

export type TierDefaultAction = "Deny" | "Pass";

export interface Tier extends ObjectMeta {
  readonly kind: "Tier";
  /** undefined = after every tier with an order */
  readonly order?: number;
  readonly defaultAction: TierDefaultAction;
}

export type CalicoResource =
  | NodeResource
  | HostEndpoint
  | GlobalNetworkSet
  | GlobalNetworkPolicy
  | FelixConfiguration
  | KubeControllersConfiguration
  | Tier;

export type ResourceKind = CalicoResource["kind"];

export const RESOURCE_KINDS: readonly ResourceKind[] = [
  "Node",
  "HostEndpoint",
  "GlobalNetworkSet",
  "GlobalNetworkPolicy",
  "FelixConfiguration",
  "KubeControllersConfiguration",
  "Tier",
];
