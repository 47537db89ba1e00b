/**
 * Felix's own string format for the failsafe port lists, as used by `config.projectcalico.org/<Param>`
 * annotations and FELIX_* variables (calico-semantics §7.2; `PortListParam.Parse` in
 * felix/config/param_types.go):
 *
 *   entries separated by `,` (surrounding spaces and empty entries ignored), each one of
 *   `<port>` (TCP), `<proto>:<port>`, `<proto>:<net>:<port>`, with an IPv6 net in brackets
 *   (`tcp:[fd00::/8]:22`). The protocol is case-insensitive and must be tcp or udp; the port 0..65535.
 *
 * The parameter is die-on-fail: a value Felix cannot parse stops Felix loading its configuration, so
 * every problem is an error here. `none` (any case) is Felix's explicit empty list (`resolve` in
 * config_params.go); an empty value is empty as well.
 */
import { parseCidr } from "../net/ip.js";
import { err, ok, type Result } from "../result.js";
import type { Cidr, ProtoPort } from "../types.js";

interface Split {
  readonly protocol: string;
  readonly net?: string;
  readonly port: string;
}

/** Splits one entry into its parts, taking a bracketed IPv6 net out first as Felix does. */
function splitEntry(entry: string): Result<Split, string> {
  let rest = entry;
  let net: string | undefined;
  const open = entry.indexOf("[");
  if (open !== -1 || entry.includes("]")) {
    const close = entry.indexOf("]:");
    if (open === -1 || close < open) return err(`"${entry}": an IPv6 net must be written as [<net>]:<port>`);
    net = entry.slice(open + 1, close);
    rest = entry.slice(0, open) + entry.slice(close + 2);
  }
  const parts = rest.split(":");
  if (parts.length > 3)
    return err(`"${entry}": expected <port>, <protocol>:<port> or <protocol>:<net>:<port>`);
  if (parts.length === 3) {
    if (net !== undefined) return err(`"${entry}": more than one net`);
    return ok({ protocol: parts[0] ?? "", net: parts[1] ?? "", port: parts[2] ?? "" });
  }
  if (parts.length === 2)
    return ok({ protocol: parts[0] ?? "", port: parts[1] ?? "", ...(net !== undefined && { net }) });
  return ok({ protocol: "tcp", port: parts[0] ?? "", ...(net !== undefined && { net }) });
}

function parseEntry(entry: string): Result<ProtoPort, string> {
  const split = splitEntry(entry);
  if (!split.ok) return split;
  const { protocol, net, port } = split.value;
  const proto = protocol.toLowerCase();
  if (proto !== "tcp" && proto !== "udp") {
    const sctp = proto === "sctp" ? " (Felix accepts only tcp and udp here, and stops on anything else)" : "";
    return err(`"${entry}": unknown protocol ${JSON.stringify(protocol)}${sctp}`);
  }
  // strconv.Atoi: optional sign, decimal digits.
  if (!/^[+-]?[0-9]+$/.test(port)) return err(`"${entry}": the port must be an integer`);
  const number = Number(port);
  if (number < 0 || number > 65535) return err(`"${entry}": port ${port} is out of range 0-65535`);
  let cidr: Cidr | undefined;
  if (net !== undefined && net !== "") {
    const parsed = parseCidr(net);
    if (!parsed.ok) return err(`"${entry}": invalid net: ${parsed.error}`);
    cidr = parsed.value;
  }
  return ok({
    protocol: proto === "tcp" ? "TCP" : "UDP",
    port: Math.abs(number),
    ...(cidr !== undefined && { net: cidr }),
  });
}

/** Parses a whole failsafe list value; the first bad entry is the error (Felix rejects the whole value). */
export function parseFelixPortList(raw: string): Result<ProtoPort[], string> {
  // Felix compares the whole raw value, untrimmed: `strings.ToLower(rawValue) == "none"`.
  if (raw.toLowerCase() === "none") return ok([]);
  const out: ProtoPort[] = [];
  for (const piece of raw.split(",")) {
    const entry = piece.replace(/^ +| +$/g, "");
    if (entry === "") continue;
    const parsed = parseEntry(entry);
    if (!parsed.ok) return parsed;
    out.push(parsed.value);
  }
  return ok(out);
}
