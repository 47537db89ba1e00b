/**
 * IP addresses and CIDRs as Calico reads them.
 *
 * Calico parses addresses with Go's `net.ParseIP` / `net.ParseCIDR` (libcalico-go/lib/net/ip.go, ipnet.go
 * `ParseCIDROrIP`). We accept the same text: a strict IPv4 dotted quad (Go ≥ 1.17 rejects leading zeros,
 * so `010.0.0.1` is an error rather than octal or decimal 10), or an IPv6 address with at most one `::`,
 * 1–4 hex digits per group and an optional trailing embedded IPv4 quad. Zones (`fe80::1%eth0`) are
 * rejected, as `net.ParseIP` does. Values are bigints so that IPv4 and IPv6 share one code path.
 *
 * One deliberate difference: an IPv4-mapped address (`::ffff:10.0.0.1`) stays IPv6 here. Go's `net.IP`
 * reports it as IPv4 (`To4() != nil`), so parts of Calico would treat it as 10.0.0.1; writing one in a
 * policy is unusual enough that we keep the address as written rather than guess which part applies.
 */
import { err, ok, type Result } from "../result.js";
import type { Cidr, IpAddress, IpFamily } from "../types.js";

/** Number of bits in an address of the family. */
export function ipBits(family: IpFamily): 32 | 128 {
  return family === 4 ? 32 : 128;
}

/** The largest address of the family (all bits set). */
const ALL_ONES: Record<IpFamily, bigint> = { 4: (1n << 32n) - 1n, 6: (1n << 128n) - 1n };

function allOnes(family: IpFamily): bigint {
  return ALL_ONES[family];
}

/** Masks for every prefix length, computed once: containment checks run in hot loops. */
const MASKS: Record<IpFamily, readonly bigint[]> = {
  4: Array.from({ length: 33 }, (_, p) => ALL_ONES[4] ^ ((1n << BigInt(32 - p)) - 1n)),
  6: Array.from({ length: 129 }, (_, p) => ALL_ONES[6] ^ ((1n << BigInt(128 - p)) - 1n)),
};

/** Network mask with `prefix` leading one bits. */
function prefixMask(family: IpFamily, prefix: number): bigint {
  return MASKS[family][prefix] ?? ALL_ONES[family];
}

// ---------------------------------------------------------------------------------------------
// Parsing

const IPV4_OCTET = /^(0|[1-9][0-9]{0,2})$/;
const IPV6_GROUP = /^[0-9A-Fa-f]{1,4}$/;

/** Parses a dotted quad into its 32-bit value, or undefined. */
function ipv4Value(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!IPV4_OCTET.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

/** The 16-bit groups of one side of `::`, expanding a trailing IPv4 quad into two groups. */
function ipv6Groups(side: string, mayEndWithIpv4: boolean): number[] | string {
  if (side === "") return [];
  const parts = side.split(":");
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? "";
    if (part.includes(".")) {
      if (!mayEndWithIpv4 || i !== parts.length - 1) return "an embedded IPv4 address must come last";
      const v4 = ipv4Value(part);
      if (v4 === undefined) return `"${part}" is not a valid embedded IPv4 address`;
      groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
    } else if (IPV6_GROUP.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return part === "" ? "empty group" : `bad group "${part}"`;
    }
  }
  return groups;
}

function ipv6Value(text: string): bigint | string {
  if (text.includes("%")) return "zones are not allowed";
  const gap = text.indexOf("::");
  let groups: number[];
  if (gap === -1) {
    const all = ipv6Groups(text, true);
    if (typeof all === "string") return all;
    if (all.length !== 8) return `expected 8 groups, found ${all.length}`;
    groups = all;
  } else {
    if (text.indexOf("::", gap + 1) !== -1) return '"::" may appear only once';
    const tailText = text.slice(gap + 2);
    // An embedded IPv4 quad must end the address, so it can only be the last group of the tail
    // (or of the head when there is no tail: `1.2.3.4::` is invalid, as in Go).
    const head = ipv6Groups(text.slice(0, gap), false);
    if (typeof head === "string") return head;
    const tail = ipv6Groups(tailText, true);
    if (typeof tail === "string") return tail;
    // Go: "the :: must expand to at least one field of zeros".
    if (head.length + tail.length > 7) return '"::" must stand for at least one group';
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(g);
  return value;
}

/** Parses one IPv4 or IPv6 address (no prefix, no zone). */
export function parseIp(text: string): Result<IpAddress, string> {
  if (typeof text !== "string") return err("an IP address must be a string");
  if (text.includes(":")) {
    const value = ipv6Value(text);
    if (typeof value === "string") return err(`${JSON.stringify(text)} is not an IPv6 address: ${value}`);
    return ok(ipFromValue(6, value));
  }
  const value = ipv4Value(text);
  if (value === undefined) {
    return err(
      /^[0-9.]+$/.test(text)
        ? `${JSON.stringify(text)} is not an IPv4 address (four decimal numbers 0-255, no leading zeros)`
        : `${JSON.stringify(text)} is not an IP address`,
    );
  }
  return ok(ipFromValue(4, value));
}

/**
 * Parses `a.b.c.d/n`, `v6/n`, or a plain IP (a /32 or /128), as Calico's `ParseCIDROrIP` does. Host bits are
 * masked off. The prefix is decimal digits only; Go's `net.ParseCIDR` tolerates leading zeros there (`/08`).
 */
export function parseCidr(text: string): Result<Cidr, string> {
  if (typeof text !== "string") return err("a CIDR must be a string");
  const slash = text.indexOf("/");
  if (slash === -1) {
    const ip = parseIp(text);
    return ip.ok ? ok(cidrOfIp(ip.value)) : err(ip.error);
  }
  const ip = parseIp(text.slice(0, slash));
  if (!ip.ok) return err(`${JSON.stringify(text)} is not a CIDR: ${ip.error}`);
  const prefixText = text.slice(slash + 1);
  if (!/^[0-9]+$/.test(prefixText)) {
    return err(`${JSON.stringify(text)} is not a CIDR: the prefix length must be a decimal number`);
  }
  const prefix = Number(prefixText);
  const bits = ipBits(ip.value.family);
  if (prefix > bits) {
    return err(
      `${JSON.stringify(text)} is not a CIDR: prefix length ${prefix} is more than ${bits} for IPv${ip.value.family}`,
    );
  }
  return ok(cidrFromParts(ip.value.family, ip.value.value, prefix));
}

// ---------------------------------------------------------------------------------------------
// Construction and formatting

function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String(Number((value >> shift) & 0xffn))).join(".");
}

/** RFC 5952: lower case, no leading zeros, the longest run (first on a tie) of ≥ 2 zero groups as `::`. */
function formatIpv6(value: bigint): string {
  // IPv4-mapped addresses keep the dotted tail (RFC 5952 §5), as Go's netip does.
  if (value >> 32n === 0xffffn) return `::ffff:${formatIpv4(value & 0xffffffffn)}`;
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

/** The address with the given numeric value (which must fit the family). */
export function ipFromValue(family: IpFamily, value: bigint): IpAddress {
  const v = value & allOnes(family);
  return { family, value: v, text: family === 4 ? formatIpv4(v) : formatIpv6(v) };
}

/** A CIDR from an address value and a prefix length (0..32 or 0..128); host bits are masked off. */
export function cidrFromParts(family: IpFamily, value: bigint, prefix: number): Cidr {
  const base = value & prefixMask(family, prefix);
  return { family, base, prefix, text: `${ipFromValue(family, base).text}/${prefix}` };
}

/** The /32 or /128 holding exactly `ip`. */
export function cidrOfIp(ip: IpAddress): Cidr {
  return cidrFromParts(ip.family, ip.value, ipBits(ip.family));
}

/** Canonical text of a CIDR, always with the prefix (`10.0.0.0/8`). */
export function formatCidr(c: Cidr): string {
  return `${ipFromValue(c.family, c.base).text}/${c.prefix}`;
}

// ---------------------------------------------------------------------------------------------
// Queries

/** The network address (lowest address) of the CIDR. */
export function cidrFirst(c: Cidr): bigint {
  return c.base;
}

/** The highest address of the CIDR. */
export function cidrLast(c: Cidr): bigint {
  return c.base | (allOnes(c.family) ^ prefixMask(c.family, c.prefix));
}

/** Whether `ip` is inside `c`; always false across families. */
export function cidrContainsIp(c: Cidr, ip: IpAddress): boolean {
  return c.family === ip.family && (ip.value & prefixMask(c.family, c.prefix)) === c.base;
}

/** Whether every address of `inner` is inside `outer`; always false across families. */
export function cidrContainsCidr(outer: Cidr, inner: Cidr): boolean {
  return (
    outer.family === inner.family &&
    outer.prefix <= inner.prefix &&
    (inner.base & prefixMask(outer.family, outer.prefix)) === outer.base
  );
}

/** `0.0.0.0/0` or `::/0`: matches every address of its family (calico-semantics §3.4, catch-all notNets). */
export function isCatchAll(c: Cidr): boolean {
  return c.prefix === 0;
}
