/**
 * `failsafe: {inbound, outbound}`: the failsafe entries every node's effective Felix lists must keep.
 * Each side is `default` (Felix's built-in list), `none` (nothing required) or a list of entries in
 * Felix's string format (`tcp:22`, `udp:68`, `tcp:10.0.0.0/8:22`) or as `{protocol, port, net?}`.
 */
import { parseCidr } from "../calico/net/ip.js";
import { parseFelixPortList } from "../calico/normalize/felix-portlist.js";
import type { Cidr, ProtoPort } from "../calico/types.js";
import { DEFAULT_FAILSAFE_INBOUND, DEFAULT_FAILSAFE_OUTBOUND } from "../engine/felix-config.js";
import { readList } from "./fields.js";
import { indexPath, keyPath } from "./paths.js";
import { allDefined, checkKeys, field, isPlainObject, nullReason, typeOf, type Errors } from "./shape.js";
import type { FailsafeRequirement } from "./types.js";

const ENTRY_FORMS =
  'entries such as "tcp:22", "udp:68", "tcp:10.0.0.0/8:22" or {protocol: TCP, port: 22, net: "10.0.0.0/8"}';
const SIDE_FORMS = `default (Felix's built-in list), none, or a list of ${ENTRY_FORMS}`;

const SCTP_REASON =
  "SCTP failsafe entries are not accepted: Felix parses only tcp and udp failsafe ports and stops loading its configuration on anything else";

/** The port is the last `:`-separated part; Felix's Atoi would also take `+22`, which nobody means. */
const ENDS_WITH_PORT = /(?:^|:)[0-9]+$/;

function parseEntryString(text: string, path: string, errors: Errors): ProtoPort | undefined {
  if (text.includes(",") || text.trim().toLowerCase() === "none" || text.trim() === "") {
    errors.push({
      path,
      reason: `${JSON.stringify(text)} is not one failsafe entry: write one per list item, ${ENTRY_FORMS}`,
    });
    return undefined;
  }
  // Felix's own parser, so that what we require is read exactly as Felix reads the value it protects.
  const parsed = parseFelixPortList(text);
  if (!parsed.ok) {
    errors.push({ path, reason: `${parsed.error}; write ${ENTRY_FORMS}` });
    return undefined;
  }
  const entry = parsed.value[0];
  if (entry === undefined || parsed.value.length !== 1 || !ENDS_WITH_PORT.test(text) || entry.port < 1) {
    errors.push({ path, reason: `"${text}": the port must be a number 1-65535; write ${ENTRY_FORMS}` });
    return undefined;
  }
  return entry;
}

function readPort(value: unknown, path: string, errors: Errors): number | undefined {
  const n = typeof value === "string" && /^[0-9]+$/.test(value) ? Number(value) : value;
  if (typeof n === "number" && Number.isInteger(n) && n >= 1 && n <= 65535) return n;
  const shown =
    typeof value === "number" || typeof value === "string" ? JSON.stringify(value) : typeOf(value);
  errors.push({
    path,
    reason: `${value === undefined ? "is required" : `${shown} is not a port`}: give a port number 1-65535`,
  });
  return undefined;
}

function readProtocol(value: unknown, path: string, errors: Errors): "TCP" | "UDP" | undefined {
  const word = typeof value === "string" ? value.toLowerCase() : undefined;
  if (word === "tcp") return "TCP";
  if (word === "udp") return "UDP";
  if (word === "sctp") {
    errors.push({ path, reason: SCTP_REASON });
    return undefined;
  }
  const shown = typeof value === "string" ? JSON.stringify(value) : typeOf(value);
  errors.push({
    path,
    reason: `${value === undefined ? "is required" : `${shown} is not accepted`}: use TCP or UDP`,
  });
  return undefined;
}

function parseEntryObject(
  value: Readonly<Record<string, unknown>>,
  path: string,
  errors: Errors,
): ProtoPort | undefined {
  checkKeys(value, ["protocol", "port", "net"], path, errors);
  const protocol = readProtocol(field(value, "protocol"), keyPath(path, "protocol"), errors);
  const port = readPort(field(value, "port"), keyPath(path, "port"), errors);
  const rawNet = field(value, "net");
  let net: Cidr | undefined;
  if (rawNet !== undefined) {
    const netPath = keyPath(path, "net");
    if (typeof rawNet !== "string") {
      errors.push({
        path: netPath,
        reason: `expected a CIDR string such as "10.0.0.0/8", not ${typeOf(rawNet)}`,
      });
      return undefined;
    }
    const cidr = parseCidr(rawNet);
    if (!cidr.ok) {
      errors.push({ path: netPath, reason: `${cidr.error} (expected a CIDR such as "10.0.0.0/8")` });
      return undefined;
    }
    net = cidr.value;
  }
  if (protocol === undefined || port === undefined) return undefined;
  return net === undefined ? { protocol, port } : { protocol, port, net };
}

function parseEntry(value: unknown, path: string, errors: Errors): ProtoPort | undefined {
  if (typeof value === "string") return parseEntryString(value, path, errors);
  if (isPlainObject(value)) return parseEntryObject(value, path, errors);
  errors.push({ path, reason: `expected a failsafe entry (${ENTRY_FORMS}), not ${typeOf(value)}` });
  return undefined;
}

function parseSide(
  value: unknown,
  defaults: readonly ProtoPort[],
  path: string,
  errors: Errors,
): readonly ProtoPort[] | undefined {
  if (value === undefined || value === "default") return defaults;
  if (value === "none") return [];
  if (value === null) {
    errors.push({ path, reason: nullReason(SIDE_FORMS) });
    return undefined;
  }
  if (typeof value === "string") {
    errors.push({ path, reason: `${JSON.stringify(value)} is not accepted: use ${SIDE_FORMS}` });
    return undefined;
  }
  const list = readList(value, path, ENTRY_FORMS, errors);
  if (list === undefined) return undefined;
  const entries = list.map((entry, i) => parseEntry(entry, indexPath(path, i), errors));
  return allDefined(entries) ? entries : undefined;
}

export const DEFAULT_FAILSAFE: FailsafeRequirement = {
  inbound: DEFAULT_FAILSAFE_INBOUND,
  outbound: DEFAULT_FAILSAFE_OUTBOUND,
};

/** The `failsafe` key; absent means both sides `default`. Returns the defaults on error (errors decide). */
export function parseFailsafe(value: unknown, path: string, errors: Errors): FailsafeRequirement {
  if (value === undefined) return DEFAULT_FAILSAFE;
  if (!isPlainObject(value)) {
    errors.push({
      path,
      reason: `expected {inbound: ..., outbound: ...}, each ${SIDE_FORMS}; not ${typeOf(value)}`,
    });
    return DEFAULT_FAILSAFE;
  }
  checkKeys(value, ["inbound", "outbound"], path, errors);
  const inbound = parseSide(
    field(value, "inbound"),
    DEFAULT_FAILSAFE_INBOUND,
    keyPath(path, "inbound"),
    errors,
  );
  const outbound = parseSide(
    field(value, "outbound"),
    DEFAULT_FAILSAFE_OUTBOUND,
    keyPath(path, "outbound"),
    errors,
  );
  return { inbound: inbound ?? DEFAULT_FAILSAFE_INBOUND, outbound: outbound ?? DEFAULT_FAILSAFE_OUTBOUND };
}
