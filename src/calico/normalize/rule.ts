/**
 * Policy rules (`spec.ingress[]` / `spec.egress[]`) and their source/destination EntityRules
 * (api/pkg/apis/projectcalico/v3/policy_common.go; calico-semantics §3).
 *
 * Only decoding happens here. Whether a combination is allowed (ports without a port protocol, ICMP
 * with the wrong protocol, mixed IP families, services exclusivity, ...) is Calico's validation and
 * lives in src/calico/validate/.
 */
import { parseCidr } from "../net/ip.js";
import { parsePortMatch } from "../ports.js";
import { parseProtocol } from "../protocol.js";
import type {
  Cidr,
  EntityRule,
  IcmpMatch,
  IpFamily,
  PortMatch,
  Protocol,
  Rule,
  RuleAction,
  ServiceAccountMatch,
  ServiceMatch,
} from "../types.js";
import {
  child,
  type Errors,
  fromResult,
  get,
  readInteger,
  readList,
  readObject,
  readString,
  readStringList,
  report,
} from "./decode.js";
import { readOptionalSelector } from "./selector-field.js";

const ACTIONS: readonly RuleAction[] = ["Allow", "Deny", "Log", "Pass"];

function readAction(value: unknown, path: string, errors: Errors): RuleAction | undefined {
  const text = readString(value, path, errors);
  if (text === undefined) {
    // A rule without an action cannot be modelled; Calico's validator rejects it too.
    return value === undefined || value === null ? report(errors, path, "is required") : undefined;
  }
  const action = ACTIONS.find((a) => a === text);
  if (action !== undefined) return action;
  // The validator's actionRegex is case-sensitive: `allow` is rejected.
  const folded = ACTIONS.find((a) => a.toLowerCase() === text.toLowerCase());
  const hint = folded !== undefined ? `; actions are case-sensitive, use "${folded}"` : "";
  return report(
    errors,
    path,
    `unknown action ${JSON.stringify(text)}: must be Allow, Deny, Log or Pass${hint}`,
  );
}

function readIpVersion(value: unknown, path: string, errors: Errors): IpFamily | undefined {
  const n = readInteger(value, path, errors);
  if (n === undefined || n === 4 || n === 6) return n;
  return report(errors, path, `must be 4 or 6, not ${n}`);
}

function readProtocol(value: unknown, path: string, errors: Errors): Protocol | undefined {
  if (value === undefined || value === null) return undefined;
  return fromResult(parseProtocol(value), path, errors);
}

/** `{type, code}`; the value ranges and the protocol consistency are checked by validation. */
function readIcmp(value: unknown, path: string, errors: Errors): IcmpMatch | undefined {
  const object = readObject(value, path, errors);
  if (object === undefined) return undefined;
  const type = readInteger(get(object, "type"), child(path, "type"), errors);
  const code = readInteger(get(object, "code"), child(path, "code"), errors);
  if (type === undefined) {
    // `code` without `type` is invalid in Calico; with neither set the match is empty (no constraint).
    if (code !== undefined) report(errors, child(path, "type"), "is required when code is set");
    return undefined;
  }
  return code === undefined ? { type } : { type, code };
}

function readNets(value: unknown, path: string, errors: Errors): Cidr[] {
  return (
    readList(value, path, errors, (element, p) => {
      if (typeof element !== "string") return report(errors, p, "must be a CIDR or IP string");
      return fromResult(parseCidr(element), p, errors);
    }) ?? []
  );
}

function readPorts(value: unknown, path: string, errors: Errors): PortMatch[] {
  return readList(value, path, errors, (element, p) => fromResult(parsePortMatch(element), p, errors)) ?? [];
}

function readServiceAccounts(value: unknown, path: string, errors: Errors): ServiceAccountMatch | undefined {
  const object = readObject(value, path, errors);
  if (object === undefined) return undefined;
  const names = readStringList(get(object, "names"), child(path, "names"), errors) ?? [];
  const selector = readOptionalSelector(get(object, "selector"), child(path, "selector"), errors);
  return selector === undefined ? { names } : { names, selector };
}

function readServices(value: unknown, path: string, errors: Errors): ServiceMatch | undefined {
  const object = readObject(value, path, errors);
  if (object === undefined) return undefined;
  const name = readString(get(object, "name"), child(path, "name"), errors) ?? "";
  const namespace = readString(get(object, "namespace"), child(path, "namespace"), errors);
  // Go cannot tell an empty namespace from none; the GNP validator requires one for egress services.
  return namespace === undefined || namespace === "" ? { name } : { name, namespace };
}

/** A rule side; an absent side is the empty EntityRule (no constraint). */
export function readEntityRule(value: unknown, path: string, errors: Errors): EntityRule {
  const object = readObject(value, path, errors) ?? {};
  const selector = readOptionalSelector(get(object, "selector"), child(path, "selector"), errors);
  const notSelector = readOptionalSelector(get(object, "notSelector"), child(path, "notSelector"), errors);
  const namespaceSelector = readOptionalSelector(
    get(object, "namespaceSelector"),
    child(path, "namespaceSelector"),
    errors,
  );
  const serviceAccounts = readServiceAccounts(
    get(object, "serviceAccounts"),
    child(path, "serviceAccounts"),
    errors,
  );
  const services = readServices(get(object, "services"), child(path, "services"), errors);
  return {
    nets: readNets(get(object, "nets"), child(path, "nets"), errors),
    notNets: readNets(get(object, "notNets"), child(path, "notNets"), errors),
    ...(selector !== undefined && { selector }),
    ...(notSelector !== undefined && { notSelector }),
    ...(namespaceSelector !== undefined && { namespaceSelector }),
    ports: readPorts(get(object, "ports"), child(path, "ports"), errors),
    notPorts: readPorts(get(object, "notPorts"), child(path, "notPorts"), errors),
    ...(serviceAccounts !== undefined && { serviceAccounts }),
    ...(services !== undefined && { services }),
  };
}

/** One rule; undefined (with errors recorded) when any part of it cannot be decoded. */
export function readRule(value: unknown, path: string, errors: Errors): Rule | undefined {
  const before = errors.length;
  const object = readObject(value, path, errors);
  if (object === undefined) {
    return errors.length === before ? report(errors, path, "must be a rule object, not null") : undefined;
  }
  const action = readAction(get(object, "action"), child(path, "action"), errors);
  const ipVersion = readIpVersion(get(object, "ipVersion"), child(path, "ipVersion"), errors);
  const protocol = readProtocol(get(object, "protocol"), child(path, "protocol"), errors);
  const notProtocol = readProtocol(get(object, "notProtocol"), child(path, "notProtocol"), errors);
  const icmp = readIcmp(get(object, "icmp"), child(path, "icmp"), errors);
  const notICMP = readIcmp(get(object, "notICMP"), child(path, "notICMP"), errors);
  const source = readEntityRule(get(object, "source"), child(path, "source"), errors);
  const destination = readEntityRule(get(object, "destination"), child(path, "destination"), errors);
  const http = get(object, "http");
  // `http` is application-layer only (calico-semantics §3.5); we only need to know that it is there.
  readObject(http, child(path, "http"), errors);
  if (errors.length > before || action === undefined) return undefined;
  return {
    action,
    ...(ipVersion !== undefined && { ipVersion }),
    ...(protocol !== undefined && { protocol }),
    ...(notProtocol !== undefined && { notProtocol }),
    ...(icmp !== undefined && { icmp }),
    ...(notICMP !== undefined && { notICMP }),
    source,
    destination,
    hasHttpMatch: http !== undefined && http !== null,
  };
}

/** `spec.ingress` / `spec.egress`. */
export function readRules(value: unknown, path: string, errors: Errors): Rule[] {
  return readList(value, path, errors, (element, p) => readRule(element, p, errors)) ?? [];
}
