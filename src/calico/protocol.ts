/**
 * Rule protocols as Calico decodes and accepts them.
 *
 * `numorstring.Protocol` (api/pkg/lib/numorstring/protocol.go, uint8orstring.go) reads a JSON number as a
 * uint8 and a string that parses as a base-10 uint8 (`"6"`, even `"06"`) as that number; any other string
 * stays a name. The v3 validator accepts only the exact names `TCP UDP ICMP ICMPv6 SCTP UDPLite`
 * (case-sensitive `protocolRegex` in libcalico-go/lib/validator/v3/validator.go) or numbers 1..255
 * (calico-semantics §3.2). JSON/YAML input is not case-normalised, so `tcp` is rejected.
 */
import { describeType } from "./ports.js";
import { err, ok, type Result } from "./result.js";
import { PROTOCOL_NUMBERS, type Protocol, type ProtocolName } from "./types.js";

const NAMES = Object.keys(PROTOCOL_NUMBERS) as ProtocolName[];

const NAME_BY_NUMBER: ReadonlyMap<number, ProtocolName> = new Map(
  NAMES.map((name) => [PROTOCOL_NUMBERS[name], name] as const),
);

function isProtocolName(s: string): s is ProtocolName {
  return (NAMES as readonly string[]).includes(s);
}

/** The protocol with IANA number `n`, named canonically when Calico has a name for it. */
export function protocolFromNumber(n: number): Protocol {
  return { number: n, name: NAME_BY_NUMBER.get(n) ?? String(n) };
}

function fromNumber(n: number, written: string): Result<Protocol, string> {
  if (n < 1 || n > 255) return err(`protocol ${written} is out of range (1-255)`);
  return ok(protocolFromNumber(n));
}

/** Decodes `protocol` / `notProtocol`: an exact Calico name, an integer 1..255, or a numeric string. */
export function parseProtocol(value: unknown): Result<Protocol, string> {
  if (typeof value === "number") {
    if (!Number.isInteger(value)) return err(`protocol ${String(value)} is not an integer`);
    return fromNumber(value, String(value));
  }
  if (typeof value !== "string")
    return err(`a protocol must be a name or a number, not ${describeType(value)}`);
  if (/^[0-9]+$/.test(value)) return fromNumber(Number(value), JSON.stringify(value));
  if (isProtocolName(value)) return ok(protocolFromNumber(PROTOCOL_NUMBERS[value]));
  const folded = NAMES.find((name) => name.toLowerCase() === value.toLowerCase());
  if (folded !== undefined) {
    return err(`unknown protocol "${value}": Calico's protocol names are case-sensitive, use "${folded}"`);
  }
  return err(`unknown protocol ${JSON.stringify(value)}: use one of ${NAMES.join(", ")} or a number 1-255`);
}

/** Whether rules with this protocol may match on ports: TCP, UDP and SCTP only (`Protocol.SupportsPorts`). */
export function protocolSupportsPorts(p: Protocol): boolean {
  return p.number === 6 || p.number === 17 || p.number === 132;
}
