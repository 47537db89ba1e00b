/**
 * Rule and EntityRule rules (calico-semantics §3, §10): Calico's `validateRule` / `validateEntityRule`
 * (libcalico-go/lib/validator/v3/validator.go) plus the v3.32 CRD rules on `Rule` / `EntityRule`
 * (`+kubebuilder:validation:XValidation` markers in api/pkg/apis/projectcalico/v3/policy_common.go).
 *
 * Where the Go validator and the CEL rules disagree we apply both (an object must pass both to be stored
 * and to survive Felix's re-validation, calico-semantics §11). Values that do not decode (a bad CIDR, an
 * unknown protocol, a malformed port) are normalize's to report; rules that need them are skipped.
 */
import { parseCidr, parseIp, isCatchAll } from "../net/ip.js";
import { parsePortMatch, portMatchText } from "../ports.js";
import { parseProtocol, protocolSupportsPorts } from "../protocol.js";
import { parseSelector } from "../selector/index.js";
import type { Protocol } from "../types.js";
import { validateAnnotations, type MetaEntry } from "./metadata.js";
import {
  asInteger,
  child,
  type Errors,
  get,
  getArray,
  getObject,
  getString,
  has,
  isObject,
  item,
  nonEmptyArray,
  nonEmptyString,
  report,
  show,
} from "./util.js";

/** validator.go `actionRegex` / CRD enum on `Action`: exact case. */
const ACTIONS = ["Allow", "Deny", "Log", "Pass"] as const;

/** policy_common.go `+kubebuilder:validation:MaxLength=1024` on EntityRule selectors (v3.32). */
export const MAX_SELECTOR_LENGTH = 1024;

const ICMP = 1;
const ICMPV6 = 58;

/** A rule's `protocol` / `notProtocol`: absent, decoded (with how it was written), or not decodable. */
type ProtocolField =
  | { readonly kind: "absent" }
  | { readonly kind: "undecodable" }
  | { readonly kind: "ok"; readonly protocol: Protocol; readonly written: unknown };

function readProtocolField(rule: unknown, key: string): ProtocolField {
  const raw = get(rule, key);
  if (raw === undefined) return { kind: "absent" };
  const parsed = parseProtocol(raw);
  return parsed.ok ? { kind: "ok", protocol: parsed.value, written: raw } : { kind: "undecodable" };
}

/**
 * Whether the protocol was written as the exact name. numorstring.Protocol decodes a number or a numeric
 * string as a number, and the Go validator compares the decoded struct against ProtocolFromString("ICMP"),
 * so only the spelled-out name satisfies `*rule.Protocol == icmp` (validator.go validateRule).
 */
function writtenAsName(field: ProtocolField, name: string): boolean {
  return field.kind === "ok" && field.written === name;
}

function protocolNumber(field: ProtocolField): number | undefined {
  return field.kind === "ok" ? field.protocol.number : undefined;
}

function describeProtocol(field: ProtocolField): string {
  return field.kind === "ok" ? show(field.written) : "(none)";
}

const SIDES = ["source", "destination"] as const;
const PORT_FIELDS = ["ports", "notPorts"] as const;
const NET_FIELDS = ["nets", "notNets"] as const;

/** Ports / protocol consistency (validateRule, v3.32: `numorstring.AllPortsAreNamed` when protocol is unset). */
function checkPorts(rule: unknown, path: string, protocol: ProtocolField, errors: Errors): void {
  if (protocol.kind === "undecodable") return;
  for (const side of SIDES) {
    const sideObject = getObject(rule, side);
    for (const field of PORT_FIELDS) {
      const list = getArray(sideObject, field);
      if (list === undefined || list.length === 0) continue;
      const listPath = child(child(path, side), field);
      if (protocol.kind === "ok") {
        // A protocol that does not carry ports makes any ports entry invalid, named ones included.
        if (!protocolSupportsPorts(protocol.protocol)) {
          report(
            errors,
            listPath,
            `protocol ${describeProtocol(protocol)} has no ports: rules that specify ports must set protocol to TCP, UDP or SCTP (6, 17 or 132)`,
          );
        }
        continue;
      }
      // No protocol: since v3.32 named ports alone are allowed; numbers and ranges need TCP/UDP/SCTP.
      list.forEach((entry, i) => {
        const parsed = parsePortMatch(entry);
        if (parsed.ok && parsed.value.kind === "range") {
          report(
            errors,
            item(listPath, i),
            `port ${portMatchText(parsed.value)} needs the rule to set protocol TCP, UDP or SCTP: Calico rejects numeric ports and port ranges without a port protocol (only named ports may omit it, since v3.32)`,
          );
        }
      });
    }
  }
}

/** validateICMPFields and the ICMPFields CRD bounds: type 0–254, code 0–255, code only with a type. */
function checkIcmpFields(rule: unknown, path: string, key: "icmp" | "notICMP", errors: Errors): void {
  const icmp = getObject(rule, key);
  if (icmp === undefined) return;
  const icmpPath = child(path, key);
  const type = asInteger(get(icmp, "type"));
  const code = asInteger(get(icmp, "code"));
  if (type !== undefined && (type < 0 || type > 254)) {
    report(errors, child(icmpPath, "type"), `ICMP type ${type} is out of range: Calico accepts 0-254`);
  }
  if (code !== undefined && (code < 0 || code > 255)) {
    report(errors, child(icmpPath, "code"), `ICMP code ${code} is out of range: Calico accepts 0-255`);
  }
  if (has(icmp, "code") && !has(icmp, "type")) {
    report(
      errors,
      child(icmpPath, "code"),
      "ICMP code is set without an ICMP type: the kernel match needs the type too",
    );
  }
}

/** ICMP / protocol consistency (validateRule; v3.32 CEL rules on Rule). */
function checkIcmp(
  rule: unknown,
  path: string,
  protocol: ProtocolField,
  notProtocol: ProtocolField,
  errors: Errors,
): void {
  checkIcmpFields(rule, path, "icmp", errors);
  checkIcmpFields(rule, path, "notICMP", errors);

  // validateRule `protocolIcmpMsg` (Go, compares as written) and CEL "ICMP fields require protocol to be ICMP or ICMPv6".
  if (getObject(rule, "icmp") !== undefined && protocol.kind !== "undecodable") {
    if (protocol.kind === "absent") {
      report(
        errors,
        child(path, "icmp"),
        "icmp is set but protocol is not: rules that specify ICMP fields must set protocol ICMP or ICMPv6",
      );
    } else if (!writtenAsName(protocol, "ICMP") && !writtenAsName(protocol, "ICMPv6")) {
      const n = protocol.protocol.number;
      const hint =
        n === ICMP || n === ICMPV6
          ? `; Calico's validator compares the protocol as written, so use the name "${n === ICMP ? "ICMP" : "ICMPv6"}" instead of ${show(protocol.written)}`
          : "";
      report(
        errors,
        child(path, "icmp"),
        `icmp is set with protocol ${describeProtocol(protocol)}: rules that specify ICMP fields must set protocol ICMP or ICMPv6${hint}`,
      );
    }
  }

  // Beyond Calico's validator: Felix renders notICMP as an ICMP type match (felix/rules `NotICMPType`),
  // which the kernel accepts only together with a protocol match on ICMP / ICMPv6.
  if (getObject(rule, "notICMP") !== undefined && protocol.kind !== "undecodable") {
    const n = protocolNumber(protocol);
    if (n !== ICMP && n !== ICMPV6) {
      report(
        errors,
        child(path, "notICMP"),
        `notICMP is set with protocol ${describeProtocol(protocol)}: Calico accepts this, but Felix's negated ICMP type match needs the rule's protocol to be ICMP or ICMPv6, or the dataplane update fails`,
      );
    }
  }

  // ICMP is IPv4-only and ICMPv6 IPv6-only, for protocol and notProtocol alike (validateRule and CEL).
  // validateRule "must set ipversion to '4' with protocol icmp" (Go, names) and the v3.32 CEL rules (names or numbers).
  const ipVersion = asInteger(get(rule, "ipVersion"));
  if (ipVersion !== 4 && ipVersion !== 6) return;
  for (const [field, key] of [
    [protocol, "protocol"],
    [notProtocol, "notProtocol"],
  ] as const) {
    const n = protocolNumber(field);
    if (n === ICMP && ipVersion !== 4) {
      report(
        errors,
        child(path, "ipVersion"),
        `${key} ${describeProtocol(field)} is IPv4-only: set ipVersion 4 (or use ICMPv6 with ipVersion 6)`,
      );
    } else if (n === ICMPV6 && ipVersion !== 6) {
      report(
        errors,
        child(path, "ipVersion"),
        `${key} ${describeProtocol(field)} is IPv6-only: set ipVersion 6 (or use ICMP with ipVersion 4)`,
      );
    }
  }
}

/**
 * nets / notNets (validateRule `scanNets` and the EntityRule `net` field validator): each entry is a CIDR
 * with a prefix (scanNets uses ParseCIDR, which rejects a bare IP), strictly masked (`validateIPNetwork`);
 * no catch-all in notNets (v3.31+); families agree with each other and with ipVersion.
 */
function checkNets(rule: unknown, path: string, errors: Errors): void {
  const ipVersion = asInteger(get(rule, "ipVersion"));
  let seenV4 = false;
  let seenV6 = false;
  for (const side of SIDES) {
    const sideObject = getObject(rule, side);
    for (const field of NET_FIELDS) {
      const list = getArray(sideObject, field);
      if (list === undefined) continue;
      const listPath = child(child(path, side), field);
      let v4 = false;
      let v6 = false;
      list.forEach((entry, i) => {
        if (typeof entry !== "string") return;
        const parsed = parseCidr(entry);
        if (!parsed.ok) return; // decode error, reported by normalize
        const cidr = parsed.value;
        const entryPath = item(listPath, i);
        v4 ||= cidr.family === 4;
        v6 ||= cidr.family === 6;
        const slash = entry.indexOf("/");
        if (slash === -1) {
          report(
            errors,
            entryPath,
            `${show(entry)} has no prefix length: Calico's rule validator parses nets as CIDRs and rejects a bare IP; write ${cidr.text}`,
          );
        } else {
          const address = parseIp(entry.slice(0, slash));
          if (address.ok && address.value.value !== cidr.base) {
            report(
              errors,
              entryPath,
              `${show(entry)} has host bits set: Calico requires a strictly masked network; write ${cidr.text}`,
            );
          }
        }
        if (field === "notNets" && isCatchAll(cidr)) {
          report(
            errors,
            entryPath,
            `${show(entry)} in notNets excludes every IPv${cidr.family} address, so the rule can never match: Calico rejects a catch-all CIDR in notNets (v3.31+) and Felix drops such a rule`,
          );
        }
      });
      if ((ipVersion === 4 && v6) || (ipVersion === 6 && v4)) {
        report(
          errors,
          listPath,
          `contains IPv${v6 ? 6 : 4} CIDRs but the rule has ipVersion ${ipVersion}: the rule IP version must match the CIDR version`,
        );
      }
      if ((v4 && seenV6) || (v6 && seenV4) || (v4 && v6)) {
        report(
          errors,
          listPath,
          "the rule mixes IPv4 and IPv6 CIDRs across its nets/notNets: Calico rejects this; use one rule per IP family",
        );
      }
      seenV4 ||= v4;
      seenV6 ||= v6;
    }
  }
}

/** The `global(` substring test Calico applies (Go: "global()"; v3.32 CEL: "global("). */
export function mentionsGlobal(selector: string): boolean {
  return selector.includes("global(");
}

/** The tokenizer's view of "global() alone": one TokGlobal then EOF, with spaces/tabs around. */
const GLOBAL_ALONE = /^[ \t]*global\([ \t]*\)[ \t]*$/;

/** validateEntityRule and the v3.32 CEL rules on EntityRule. */
function checkEntityRule(entity: unknown, path: string, errors: Errors): void {
  if (!isObject(entity)) return;
  // policy_common.go `+kubebuilder:validation:MaxLength=1024` on the three selectors (v3.32 CRD).
  for (const key of ["selector", "notSelector", "namespaceSelector"] as const) {
    const text = getString(entity, key);
    if (text !== undefined && text.length > MAX_SELECTOR_LENGTH) {
      report(
        errors,
        child(path, key),
        `is ${text.length} characters long; Calico allows at most ${MAX_SELECTOR_LENGTH} in a rule selector (v3.32)`,
      );
    }
  }

  // global() belongs in namespaceSelector only; the check is a plain substring test, so even a quoted
  // value containing it is rejected.
  const selector = getString(entity, "selector");
  if (selector !== undefined && mentionsGlobal(selector)) {
    report(
      errors,
      child(path, "selector"),
      "global() can only be used in an EntityRule namespaceSelector (Calico rejects it anywhere in selector, even inside a quoted value)",
    );
  }
  // validateEntityRule: a namespaceSelector containing global( must tokenize to exactly TokGlobal, EOF.
  const namespaceSelector = getString(entity, "namespaceSelector");
  if (
    namespaceSelector !== undefined &&
    mentionsGlobal(namespaceSelector) &&
    namespaceSelector !== "global()" &&
    !GLOBAL_ALONE.test(namespaceSelector) &&
    parseSelector(namespaceSelector).ok // an unparseable selector is a decode error
  ) {
    report(
      errors,
      child(path, "namespaceSelector"),
      "global() cannot be combined with other selectors: write namespaceSelector: global() on its own",
    );
  }

  // validateEntityRule `rule.Services != nil` block / EntityRule CEL rules: services exclude the other matches.
  const services = get(entity, "services");
  if (isObject(services)) {
    const servicesPath = child(path, "services");
    if (nonEmptyString(services, "name") === undefined) {
      report(errors, child(servicesPath, "name"), "services must specify a service name");
    }
    if (
      nonEmptyString(entity, "selector") !== undefined ||
      nonEmptyString(entity, "notSelector") !== undefined
    ) {
      report(errors, servicesPath, "cannot specify selector/notSelector and services on the same rule side");
    }
    if (nonEmptyString(entity, "namespaceSelector") !== undefined) {
      report(errors, servicesPath, "cannot specify namespaceSelector and services on the same rule side");
    }
    if (has(entity, "serviceAccounts")) {
      report(errors, servicesPath, "cannot specify serviceAccounts and services on the same rule side");
    }
    if (nonEmptyArray(entity, "nets") || nonEmptyArray(entity, "notNets")) {
      report(
        errors,
        servicesPath,
        "cannot specify nets/notNets and services on the same rule side: service rules use the endpoints' IPs",
      );
    }
  }
}

/** Rule `metadata.annotations` keys (validateRuleMetadata → validateObjectMetaAnnotations). */
function checkRuleMetadata(rule: unknown, path: string, errors: Errors): void {
  const annotations = getObject(getObject(rule, "metadata"), "annotations");
  if (annotations === undefined) return;
  const base = child(child(path, "metadata"), "annotations");
  const entries: MetaEntry[] = [];
  for (const key of Object.keys(annotations)) {
    const value = annotations[key];
    if (typeof value === "string") entries.push({ key, value, path: child(base, key) });
  }
  validateAnnotations(entries, base, errors);
}

/**
 * One rule of a policy; the rules that depend on the list it sits in (ingress/egress) are in the policy
 * module. `path` is e.g. `spec.ingress[1]`.
 */
export function validateRule(rule: unknown, path: string, errors: Errors): void {
  if (!isObject(rule)) return; // not a rule object: a decode error

  // validator.go `validateAction` (actionRegex) / CRD enum on Action: required, exact case.
  const action = get(rule, "action");
  if (action === undefined || action === "") {
    report(errors, child(path, "action"), "action is required: one of Allow, Deny, Log, Pass");
  } else if (typeof action === "string" && !(ACTIONS as readonly string[]).includes(action)) {
    const folded = ACTIONS.find((a) => a.toLowerCase() === action.toLowerCase());
    report(
      errors,
      child(path, "action"),
      `unknown action ${show(action)}: Calico accepts exactly Allow, Deny, Log or Pass${folded !== undefined ? ` (case-sensitive: use "${folded}")` : ""}`,
    );
  }

  // validator.go `validateIPVersion` / CRD enum 4;6.
  const ipVersion = asInteger(get(rule, "ipVersion"));
  if (ipVersion !== undefined && ipVersion !== 4 && ipVersion !== 6) {
    report(errors, child(path, "ipVersion"), `ipVersion ${ipVersion} is invalid: Calico accepts 4 or 6`);
  }

  const protocol = readProtocolField(rule, "protocol");
  const notProtocol = readProtocolField(rule, "notProtocol");
  checkPorts(rule, path, protocol, errors);
  checkIcmp(rule, path, protocol, notProtocol, errors);
  checkNets(rule, path, errors);

  // HTTP match: Allow rules only; protocol TCP or unset (Go compares the decoded struct with "TCP",
  // so a numeric 6 fails there although the v3.32 CEL rule accepts it).
  if (isObject(get(rule, "http"))) {
    if (typeof action === "string" && action !== "Allow" && (ACTIONS as readonly string[]).includes(action)) {
      report(errors, child(path, "http"), `http matches are only valid on Allow rules, not ${action}`);
    }
    if (protocol.kind === "ok" && !writtenAsName(protocol, "TCP")) {
      report(
        errors,
        child(path, "protocol"),
        `rules with an http match must have protocol TCP (written "TCP") or no protocol, not ${describeProtocol(protocol)}`,
      );
    }
  }

  // Destination services use the endpoints' ports (validateRule; CEL "ports and notPorts cannot be specified with services").
  const destination = getObject(rule, "destination");
  if (isObject(get(destination, "services"))) {
    for (const field of PORT_FIELDS) {
      if (nonEmptyArray(destination, field)) {
        report(
          errors,
          child(child(path, "destination"), field),
          `cannot specify ${field} with destination.services: service rules use the service's ports`,
        );
      }
    }
  }

  // validator.go validateEntityRule on source and destination; validateRuleMetadata.
  for (const side of SIDES) checkEntityRule(get(rule, side), child(path, side), errors);
  checkRuleMetadata(rule, path, errors);
}

/** Whether a rule has an http match (ruleUsesAppLayerPolicy). */
export function usesHttp(rule: unknown): boolean {
  return isObject(get(rule, "http"));
}
