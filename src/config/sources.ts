/**
 * A requirement's `from` entries: `{nodes: <selector>}`, `{globalNetworkSets: <selector>}`,
 * `{nets: [<cidr>, ...]}`, `anywhere` / `{anywhere: true}`, `loopback` / `{loopback: true}`.
 */
import { parseCidr } from "../calico/net/ip.js";
import type { Cidr } from "../calico/types.js";
import { readList, readSelector } from "./fields.js";
import { indexPath, keyPath } from "./paths.js";
import { checkKeys, field, isPlainObject, typeOf, type Errors, type JsonObject } from "./shape.js";
import type { RequiredSource } from "./types.js";

const SOURCE_KEYS = ["nodes", "globalNetworkSets", "nets", "anywhere", "loopback"] as const;

const SOURCE_FORMS =
  'anywhere, loopback, {nodes: "<selector>"}, {globalNetworkSets: "<selector>"} or {nets: ["<cidr>", ...]}';

function readNets(value: unknown, path: string, errors: Errors): Cidr[] | undefined {
  const list = readList(value, path, 'CIDRs such as "10.0.0.0/8"', errors);
  if (list === undefined) return undefined;
  if (list.length === 0) {
    // An empty list requires nothing at all, which is never what someone writing it meant.
    errors.push({ path, reason: 'the list is empty: give at least one CIDR such as "10.0.0.0/8"' });
    return undefined;
  }
  const nets: Cidr[] = [];
  let failed = false;
  list.forEach((entry, i) => {
    const at = indexPath(path, i);
    if (typeof entry !== "string") {
      failed = true;
      errors.push({
        path: at,
        reason: `expected a CIDR or IP string such as "10.0.0.0/8", not ${typeOf(entry)}`,
      });
      return;
    }
    const cidr = parseCidr(entry);
    if (cidr.ok) {
      nets.push(cidr.value);
    } else {
      failed = true;
      errors.push({ path: at, reason: `${cidr.error} (expected a CIDR such as "10.0.0.0/8" or an IP)` });
    }
  });
  return failed ? undefined : nets;
}

/** `{anywhere: true}`: anything but `true` is a mistake (`false` would silently drop the source). */
function readFlag(value: unknown, key: "anywhere" | "loopback", path: string, errors: Errors): boolean {
  if (value === true) return true;
  errors.push({
    path,
    reason:
      value === false
        ? `${key}: false is not accepted; remove the entry instead`
        : `expected true (write ${key}: true, or the string "${key}"), not ${typeOf(value)}`,
  });
  return false;
}

function parseSourceObject(object: JsonObject, path: string, errors: Errors): RequiredSource | undefined {
  checkKeys(object, SOURCE_KEYS, path, errors);
  const present = SOURCE_KEYS.filter((key) => Object.hasOwn(object, key));
  if (present.length === 0) {
    // Unknown keys were reported above; an empty mapping needs its own message.
    if (Object.keys(object).length === 0)
      errors.push({ path, reason: `an empty source; write ${SOURCE_FORMS}` });
    return undefined;
  }
  if (present.length > 1) {
    errors.push({
      path,
      reason: `a source has exactly one of ${SOURCE_KEYS.join(", ")}; found ${present.join(" and ")} (write separate entries)`,
    });
    return undefined;
  }
  const [key] = present;
  if (key === undefined) return undefined;
  const value = field(object, key);
  const at = keyPath(path, key);
  switch (key) {
    case "nodes": {
      const selector = readSelector(value, at, errors);
      return selector && { kind: "nodes", selector };
    }
    case "globalNetworkSets": {
      const selector = readSelector(value, at, errors);
      return selector && { kind: "globalNetworkSets", selector };
    }
    case "nets": {
      const nets = readNets(value, at, errors);
      return nets && { kind: "nets", nets };
    }
    case "anywhere":
      return readFlag(value, "anywhere", at, errors) ? { kind: "anywhere" } : undefined;
    case "loopback":
      return readFlag(value, "loopback", at, errors) ? { kind: "loopback" } : undefined;
  }
}

/** One `from` entry. */
export function parseSource(value: unknown, path: string, errors: Errors): RequiredSource | undefined {
  if (value === "anywhere") return { kind: "anywhere" };
  if (value === "loopback") return { kind: "loopback" };
  if (isPlainObject(value)) return parseSourceObject(value, path, errors);
  const shown = typeof value === "string" ? JSON.stringify(value) : typeOf(value);
  errors.push({ path, reason: `${shown} is not a source; write ${SOURCE_FORMS}` });
  return undefined;
}
