import { parseIp } from "../calico/net/ip.js";
import { parseProtocol } from "../calico/protocol.js";
import { err, ok, type Result } from "../calico/result.js";
import type { IpAddress, NodeResource, Protocol } from "../calico/types.js";
import type { FlowPath } from "./evaluate.js";
import { sameIp } from "./hep-resolution.js";
import type { ClusterState } from "./state.js";

/** One end of a flow: a node at one of its addresses (or loopback), or an address outside the cluster. */
export type FlowEnd =
  | { readonly kind: "node"; readonly node: NodeResource; readonly address: IpAddress }
  | { readonly kind: "external"; readonly address: IpAddress };

export interface Flow {
  readonly from: FlowEnd;
  readonly to: FlowEnd;
  readonly protocol: Protocol;
  readonly port?: number;
  readonly srcPort?: number;
  readonly icmpType?: number;
  readonly icmpCode?: number;
  readonly path: FlowPath;
}

/** A flow as people write it (CLI flags, suite files). */
export interface FlowSpec {
  readonly from: string;
  readonly to: string;
  readonly protocol: unknown;
  readonly port?: unknown;
  readonly icmpType?: unknown;
  readonly icmpCode?: unknown;
  readonly path?: unknown;
}

/**
 * `NODE` (the node's first InternalIP), `NODE@IP` (that node at a given address, e.g. 127.0.0.1),
 * or a bare IP. A bare IP that belongs to a node is that node.
 */
export function resolveFlowEnd(state: ClusterState, text: string): Result<FlowEnd, string> {
  const at = text.indexOf("@");
  if (at >= 0) {
    const name = text.slice(0, at);
    const node = state.get("Node", name);
    if (!node) return err(`unknown node "${name}" in "${text}"`);
    const ip = parseIp(text.slice(at + 1));
    if (!ip.ok) return err(`${ip.error} (in "${text}")`);
    return ok({ kind: "node", node, address: ip.value });
  }
  const ip = parseIp(text);
  if (ip.ok) {
    const owner = state.nodes.find((n) =>
      [...n.internalIPs, ...n.externalIPs].some((a) => sameIp(a, ip.value)),
    );
    return ok(
      owner ? { kind: "node", node: owner, address: ip.value } : { kind: "external", address: ip.value },
    );
  }
  const node = state.get("Node", text);
  if (!node) return err(`"${text}" is neither a node of the cluster nor an IP address`);
  const address = node.internalIPs[0];
  if (!address) return err(`node "${text}" has no InternalIP address; write ${text}@<ip>`);
  return ok({ kind: "node", node, address });
}

function portNumber(
  value: unknown,
  what: string,
  min: number,
  max: number,
): Result<number | undefined, string> {
  if (value === undefined || value === null) return ok(undefined);
  const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
    return err(`${what} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return ok(n);
}

export function resolveFlow(state: ClusterState, spec: FlowSpec): Result<Flow, string> {
  const from = resolveFlowEnd(state, spec.from);
  if (!from.ok) return from;
  const to = resolveFlowEnd(state, spec.to);
  if (!to.ok) return to;
  if (from.value.kind === "external" && to.value.kind === "external") {
    return err("at least one end of a flow must be a node of the cluster");
  }
  if (from.value.address.family !== to.value.address.family) {
    return err(`${spec.from} and ${spec.to} are of different IP families`);
  }
  const protocol = parseProtocol(spec.protocol);
  if (!protocol.ok) return err(`protocol: ${protocol.error}`);
  const hasPorts = [6, 17, 132].includes(protocol.value.number);
  const port = portNumber(spec.port, "port", 1, 65535);
  if (!port.ok) return port;
  if (hasPorts && port.value === undefined) return err(`a ${protocol.value.name} flow needs a port`);
  if (!hasPorts && port.value !== undefined) return err(`protocol ${protocol.value.name} has no ports`);
  const icmpType = portNumber(spec.icmpType, "icmpType", 0, 255);
  if (!icmpType.ok) return icmpType;
  const icmpCode = portNumber(spec.icmpCode, "icmpCode", 0, 255);
  if (!icmpCode.ok) return icmpCode;
  const isIcmp = protocol.value.number === 1 || protocol.value.number === 58;
  if (!isIcmp && (icmpType.value !== undefined || icmpCode.value !== undefined)) {
    return err(`icmpType/icmpCode need protocol ICMP or ICMPv6, not ${protocol.value.name}`);
  }
  const path = spec.path ?? "host";
  if (path !== "host" && path !== "forward")
    return err(`path must be "host" or "forward", got ${JSON.stringify(path)}`);
  return ok({
    from: from.value,
    to: to.value,
    protocol: protocol.value,
    port: port.value,
    icmpType: icmpType.value,
    icmpCode: icmpCode.value,
    path,
  });
}

export function describeEnd(end: FlowEnd): string {
  return end.kind === "node" ? `${end.node.name} (${end.address.text})` : end.address.text;
}
