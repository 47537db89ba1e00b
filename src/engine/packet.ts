import type { IpAddress } from "../calico/types.js";

/**
 * One packet of a flow, as a rule sees it. `srcPort` undefined means "an ephemeral client port"
 * (see EPHEMERAL_PORTS); ICMP packets carry a type/code instead of ports.
 */
export interface Packet {
  readonly src: IpAddress;
  readonly dst: IpAddress;
  /** IANA protocol number */
  readonly protocol: number;
  readonly srcPort?: number;
  readonly dstPort?: number;
  readonly icmpType?: number;
  readonly icmpCode?: number;
}

/**
 * The source port of a client connection is picked by the kernel from net.ipv4.ip_local_port_range
 * (Linux default 32768–60999). A rule's `source.ports` only decides a required flow when it holds
 * for every port of that range — hostguard does not guess which one the client picks.
 */
export const EPHEMERAL_PORTS = { min: 32768, max: 60999 } as const;

export const PROTOCOLS_WITH_PORTS: ReadonlySet<number> = new Set([6, 17, 132]);
