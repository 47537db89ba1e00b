/**
 * Required-port strings: `tcp:80`, `udp:30000-32767` (or `30000:32767`), `sctp:9`, `icmp:8`, `icmp:8/0`,
 * `icmpv6:128`, `ipip`, `proto:47`. Protocol words are case-insensitive because this is our own syntax,
 * not a Calico field; the numbers are validated with the same primitives the Calico model uses.
 */
import { parsePortMatch } from "../calico/ports.js";
import { parseProtocol, protocolFromNumber, protocolSupportsPorts } from "../calico/protocol.js";
import { err, ok, type Result } from "../calico/result.js";
import { PROTOCOL_NUMBERS, type PortRange, type Protocol } from "../calico/types.js";
import type { FlowPath } from "../engine/evaluate.js";
import type { RequiredPort } from "./types.js";

/** What a port string may look like, quoted in every error so the fix is in the message. */
export const PORT_FORMS =
  "tcp:<port>, udp:<port>, sctp:<port> (a port 1-65535 or a range like 30000-32767), " +
  "icmp:<type>[/<code>], icmpv6:<type>[/<code>], ipip, or proto:<1-255>";

const IPIP = 4;

/** What a port string names, before a path is attached. */
export type PortTarget =
  | { readonly kind: "ports"; readonly protocol: Protocol; readonly ports: PortRange }
  | { readonly kind: "icmp"; readonly protocol: Protocol; readonly type: number; readonly code?: number }
  | { readonly kind: "protocol"; readonly protocol: Protocol };

const DIGITS = /^[0-9]+$/;
const PORT_RANGE = /^([0-9]+)(?:[-:]([0-9]+))?$/;
const ICMP_TYPE_CODE = /^([0-9]+)(?:\/([0-9]+))?$/;

/** Calico's ICMPFields bounds (calico-semantics §3.3): a rule cannot name type 255, so neither can we. */
const MAX_ICMP_TYPE = 254;
const MAX_ICMP_CODE = 255;

function portNumber(digits: string): Result<number, string> {
  const parsed = parsePortMatch(digits);
  if (!parsed.ok) return parsed;
  // Digits only reach here, and digits always decode to a range.
  return parsed.value.kind === "range" ? ok(parsed.value.min) : err(`"${digits}" is not a port number`);
}

function parsePorts(protocol: Protocol, rest: string | undefined, text: string): Result<PortTarget, string> {
  const word = protocol.name.toLowerCase();
  if (rest === undefined || rest === "") {
    return err(
      `"${text}": ${protocol.name} needs a port or a range, e.g. ${word}:443 or ${word}:30000-32767`,
    );
  }
  const m = PORT_RANGE.exec(rest);
  if (!m) return err(`"${text}": "${rest}" is not a port 1-65535 or a range like 30000-32767`);
  const min = portNumber(m[1] ?? "");
  if (!min.ok) return err(`"${text}": ${min.error}`);
  const max = m[2] === undefined ? min : portNumber(m[2]);
  if (!max.ok) return err(`"${text}": ${max.error}`);
  if (min.value > max.value) {
    return err(
      `"${text}": the range starts at ${min.value}, after its end ${max.value}; write the lower port first`,
    );
  }
  return ok({ kind: "ports", protocol, ports: { min: min.value, max: max.value } });
}

function parseIcmp(protocol: Protocol, rest: string | undefined, text: string): Result<PortTarget, string> {
  const word = protocol.name.toLowerCase();
  const example = `e.g. ${word}:${protocol.number === 1 ? "8" : "128"} or ${word}:3/4`;
  if (rest === undefined || rest === "") {
    return err(`"${text}": ${protocol.name} needs a type (and optionally a code), ${example}`);
  }
  const m = ICMP_TYPE_CODE.exec(rest);
  if (!m) return err(`"${text}": expected <type> or <type>/<code>, ${example}`);
  const type = Number(m[1]);
  if (type > MAX_ICMP_TYPE) return err(`"${text}": ICMP type ${m[1]} is out of range (0-${MAX_ICMP_TYPE})`);
  if (m[2] === undefined) return ok({ kind: "icmp", protocol, type });
  const code = Number(m[2]);
  if (code > MAX_ICMP_CODE) return err(`"${text}": ICMP code ${m[2]} is out of range (0-${MAX_ICMP_CODE})`);
  return ok({ kind: "icmp", protocol, type, code });
}

function parseProtoNumber(rest: string | undefined, text: string): Result<PortTarget, string> {
  if (rest === undefined || !DIGITS.test(rest))
    return err(`"${text}": expected proto:<number 1-255>, e.g. proto:47`);
  const protocol = parseProtocol(rest);
  if (!protocol.ok) return err(`"${text}": ${protocol.error}`);
  // A required flow of a port-carrying protocol without a port, or ICMP without a type, is not one
  // concrete flow the checks can evaluate; send people to the form that says which one they mean.
  const p = protocol.value;
  if (protocolSupportsPorts(p)) {
    return err(
      `"${text}": protocol ${p.number} is ${p.name}, which needs a port: write ${p.name.toLowerCase()}:<port>`,
    );
  }
  if (p.number === PROTOCOL_NUMBERS.ICMP || p.number === PROTOCOL_NUMBERS.ICMPv6) {
    return err(
      `"${text}": protocol ${p.number} is ${p.name}, which needs a type: write ${p.name.toLowerCase()}:<type>`,
    );
  }
  return ok({ kind: "protocol", protocol: p });
}

/** Parses one port string into what it names. */
export function parsePortTarget(text: string): Result<PortTarget, string> {
  const colon = text.indexOf(":");
  const head = (colon === -1 ? text : text.slice(0, colon)).toLowerCase();
  const rest = colon === -1 ? undefined : text.slice(colon + 1);
  switch (head) {
    case "tcp":
      return parsePorts(protocolFromNumber(PROTOCOL_NUMBERS.TCP), rest, text);
    case "udp":
      return parsePorts(protocolFromNumber(PROTOCOL_NUMBERS.UDP), rest, text);
    case "sctp":
      return parsePorts(protocolFromNumber(PROTOCOL_NUMBERS.SCTP), rest, text);
    case "icmp":
      return parseIcmp(protocolFromNumber(PROTOCOL_NUMBERS.ICMP), rest, text);
    case "icmpv6":
      return parseIcmp(protocolFromNumber(PROTOCOL_NUMBERS.ICMPv6), rest, text);
    case "ipip":
      if (rest !== undefined) return err(`"${text}": ipip has no ports; write just ipip`);
      return ok({ kind: "protocol", protocol: protocolFromNumber(IPIP) });
    case "proto":
      return parseProtoNumber(rest, text);
    default:
      return err(`${JSON.stringify(text)} is not a port; use ${PORT_FORMS}`);
  }
}

/** How the port reads in messages: `TCP 6443`, `UDP 30000-32767`, `ICMP type 8`, `IPIP`, `proto 47`. */
export function portLabel(target: PortTarget): string {
  switch (target.kind) {
    case "ports": {
      const { min, max } = target.ports;
      return `${target.protocol.name} ${min === max ? String(min) : `${min}-${max}`}`;
    }
    case "icmp":
      return `${target.protocol.name} type ${target.type}${target.code === undefined ? "" : ` code ${target.code}`}`;
    case "protocol": {
      if (target.protocol.number === IPIP) return "IPIP";
      const name = target.protocol.name;
      return name === String(target.protocol.number) ? `proto ${name}` : name;
    }
  }
}

/** Whether `path: forward` makes sense: DNAT to a pod (a NodePort) needs a destination port. */
export function targetCanForward(target: PortTarget): boolean {
  return target.kind === "ports";
}

/** The RequiredPort for a target; optional fields are left out rather than set to undefined. */
export function requiredPort(target: PortTarget, path: FlowPath): RequiredPort {
  const label = portLabel(target);
  switch (target.kind) {
    case "ports":
      return { protocol: target.protocol, ports: target.ports, path, label };
    case "icmp":
      return target.code === undefined
        ? { protocol: target.protocol, icmpType: target.type, path, label }
        : { protocol: target.protocol, icmpType: target.type, icmpCode: target.code, path, label };
    case "protocol":
      return { protocol: target.protocol, path, label };
  }
}
