/**
 * Custom `requirements` entries: `{name, to: {nodes}, from: [...], ports: [...]}` (design §6), the same
 * shape as a built-in profile entry.
 */
import type { Selector } from "../calico/types.js";
import type { FlowPath } from "../engine/evaluate.js";
import { readEnum, readList, readSelector } from "./fields.js";
import { indexPath, keyPath } from "./paths.js";
import { PORT_FORMS, parsePortTarget, requiredPort, targetCanForward } from "./port-spec.js";
import { ALL_NODES } from "./selectors.js";
import { allDefined, checkKeys, field, isPlainObject, nullReason, typeOf, type Errors } from "./shape.js";
import { parseSource } from "./sources.js";
import type { RequiredPort, RequiredSource, Requirement } from "./types.js";

const REQUIREMENT_KEYS = ["name", "to", "from", "ports"] as const;
const PATHS: readonly FlowPath[] = ["host", "forward"];

/**
 * Names are ids in findings and metric labels: DNS labels (lower-case letters, digits, `-`), optionally
 * joined by `/` or `.` like the built-in `kubeadm/control-plane`.
 */
const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?([./][a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
const MAX_NAME_LENGTH = 253;

function readName(value: unknown, path: string, errors: Errors): string | undefined {
  const rule =
    'lower-case letters, digits and "-", starting and ending with a letter or digit, parts joined by "/" or "."';
  if (value === undefined) {
    errors.push({ path, reason: `is required: every requirement needs a unique name (${rule})` });
    return undefined;
  }
  if (typeof value !== "string") {
    errors.push({ path, reason: `expected a name string (${rule}), not ${typeOf(value)}` });
    return undefined;
  }
  if (value.length > MAX_NAME_LENGTH || !NAME.test(value)) {
    const shown = value.length > 80 ? `${JSON.stringify(value.slice(0, 80))}...` : JSON.stringify(value);
    errors.push({
      path,
      reason: `${shown} is not a valid name: use ${rule}, at most 63 characters per part and ${MAX_NAME_LENGTH} in all`,
    });
    return undefined;
  }
  return value;
}

function readTo(value: unknown, path: string, errors: Errors): { readonly nodes: Selector } | undefined {
  if (value === undefined) return { nodes: ALL_NODES };
  if (!isPlainObject(value)) {
    errors.push({ path, reason: `expected {nodes: "<selector>"} (default all()), not ${typeOf(value)}` });
    return undefined;
  }
  checkKeys(value, ["nodes"], path, errors);
  const nodes = field(value, "nodes");
  if (nodes === undefined) return { nodes: ALL_NODES };
  const selector = readSelector(nodes, keyPath(path, "nodes"), errors);
  return selector && { nodes: selector };
}

/** A list that must have entries: an empty `from` or `ports` would require nothing. */
function readNonEmpty(
  value: unknown,
  path: string,
  what: string,
  errors: Errors,
): readonly unknown[] | undefined {
  if (value === undefined) {
    errors.push({ path, reason: `is required: give a list of ${what}` });
    return undefined;
  }
  const list = readList(value, path, what, errors);
  if (list !== undefined && list.length === 0) {
    errors.push({ path, reason: `the list is empty: give at least one of ${what}` });
    return undefined;
  }
  return list;
}

function readFrom(value: unknown, path: string, errors: Errors): readonly RequiredSource[] | undefined {
  const list = readNonEmpty(
    value,
    path,
    "sources (anywhere, loopback, {nodes}, {globalNetworkSets}, {nets})",
    errors,
  );
  if (list === undefined) return undefined;
  const sources = list.map((entry, i) => parseSource(entry, indexPath(path, i), errors));
  return allDefined(sources) ? sources : undefined;
}

/** One `ports` entry: a string, or `{port: "<string>", path: host|forward}`. */
function parsePortEntry(value: unknown, path: string, errors: Errors): RequiredPort | undefined {
  let text: unknown = value;
  let flowPath: FlowPath = "host";
  let textPath = path;
  if (isPlainObject(value)) {
    checkKeys(value, ["port", "path"], path, errors);
    text = field(value, "port");
    textPath = keyPath(path, "port");
    if (text === undefined) {
      errors.push({ path: textPath, reason: `is required: write one of ${PORT_FORMS}` });
      return undefined;
    }
    const rawPath = field(value, "path");
    if (rawPath !== undefined) {
      const read = readEnum(rawPath, PATHS, keyPath(path, "path"), errors);
      if (read === undefined) return undefined;
      flowPath = read;
    }
  }
  if (typeof text !== "string") {
    errors.push({
      path: textPath,
      reason: `expected a port string (${PORT_FORMS}) or {port, path}, not ${typeOf(text)}`,
    });
    return undefined;
  }
  const target = parsePortTarget(text);
  if (!target.ok) {
    errors.push({ path: textPath, reason: target.error });
    return undefined;
  }
  if (flowPath === "forward" && !targetCanForward(target.value)) {
    errors.push({
      path: keyPath(path, "path"),
      reason: `path: forward needs a tcp, udp or sctp port (DNAT to a pod keeps the port); "${text}" can only be host`,
    });
    return undefined;
  }
  return requiredPort(target.value, flowPath);
}

function readPorts(value: unknown, path: string, errors: Errors): readonly RequiredPort[] | undefined {
  const list = readNonEmpty(value, path, `ports (${PORT_FORMS})`, errors);
  if (list === undefined) return undefined;
  const ports = list.map((entry, i) => parsePortEntry(entry, indexPath(path, i), errors));
  return allDefined(ports) ? ports : undefined;
}

interface Read {
  /** the name when it is valid, even if another field is not: duplicates are reported either way */
  readonly name?: string;
  readonly requirement?: Requirement;
}

/** One requirement; every field is read (and its errors reported) even when another one failed. */
function readRequirement(value: unknown, path: string, errors: Errors): Read {
  if (!isPlainObject(value)) {
    errors.push({ path, reason: `expected a requirement {name, to, from, ports}, not ${typeOf(value)}` });
    return {};
  }
  checkKeys(value, REQUIREMENT_KEYS, path, errors);
  const name = readName(field(value, "name"), keyPath(path, "name"), errors);
  const to = readTo(field(value, "to"), keyPath(path, "to"), errors);
  const from = readFrom(field(value, "from"), keyPath(path, "from"), errors);
  const ports = readPorts(field(value, "ports"), keyPath(path, "ports"), errors);
  if (name === undefined) return {};
  if (to === undefined || from === undefined || ports === undefined) return { name };
  return { name, requirement: { name, to, from, ports } };
}

/** One requirement entry on its own (no uniqueness check). */
export function parseRequirement(value: unknown, path: string, errors: Errors): Requirement | undefined {
  return readRequirement(value, path, errors).requirement;
}

/**
 * The `requirements` list. `reserved` maps the names of the enabled profiles' requirements to their
 * profile: a custom requirement with the same name would make findings ambiguous.
 */
export function parseRequirements(
  value: unknown,
  path: string,
  reserved: ReadonlyMap<string, string>,
  errors: Errors,
): Requirement[] {
  if (value === undefined) return [];
  if (value === null) {
    errors.push({ path, reason: nullReason("a list of requirements (or [])") });
    return [];
  }
  const list = readList(value, path, "requirements {name, to, from, ports}", errors);
  if (list === undefined) return [];
  const out: Requirement[] = [];
  const seen = new Map<string, string>();
  list.forEach((entry, i) => {
    const at = indexPath(path, i);
    const { name, requirement } = readRequirement(entry, at, errors);
    if (name === undefined) return;
    const namePath = keyPath(at, "name");
    const profile = reserved.get(name);
    const earlier = seen.get(name);
    if (profile !== undefined) {
      errors.push({
        path: namePath,
        reason: `"${name}" is the name of a requirement of the ${profile} profile; choose another name`,
      });
    } else if (earlier !== undefined) {
      errors.push({
        path: namePath,
        reason: `duplicate name "${name}" (also ${earlier}); names must be unique`,
      });
    } else {
      seen.set(name, namePath);
    }
    if (requirement !== undefined) out.push(requirement);
  });
  return out;
}
