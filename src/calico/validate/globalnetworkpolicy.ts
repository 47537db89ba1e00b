/**
 * GlobalNetworkPolicy (calico-semantics §4, §10): validateGlobalNetworkPolicy and
 * validateGlobalNetworkPolicySpec (libcalico-go/lib/validator/v3/validator.go) plus the v3.32 CEL rules on
 * GlobalNetworkPolicySpec (api/pkg/apis/projectcalico/v3/globalnetworkpolicy.go).
 */
import { effectiveMeta, validateLabelsAndAnnotations, type ApiGroup } from "./metadata.js";
import { GNP_NAME_REGEX, MAX_NAME_LENGTH, NAME_REGEX } from "./names.js";
import { mentionsGlobal, MAX_SELECTOR_LENGTH, usesHttp, validateRule } from "./rule.js";
import {
  child,
  type Errors,
  get,
  getArray,
  getFlag,
  getObject,
  getString,
  isObject,
  item,
  type JsonObject,
  nonEmptyString,
  report,
  show,
} from "./util.js";

const POLICY_TYPES = ["Ingress", "Egress"] as const;
/** globalnetworkpolicy.go `PerformanceHints ... oneof=AssumeNeededOnEveryNode`, `unique`. */
const PERFORMANCE_HINTS = ["AssumeNeededOnEveryNode"] as const;
/** names.K8sNetworkPolicyNamePrefix: Kubernetes NetworkPolicies converted by Calico use this prefix. */
const KNP_PREFIX = "knp.default.";

/** validateGlobalNetworkPolicy: length, `globalNetworkPolicyNameRegex` (which also excludes knp.default.*). */
function checkName(object: JsonObject, group: ApiGroup, errors: Errors): void {
  // v1 objects: the v3 name from the metadata annotation, else the CR name without the `default.` that
  // v3.29–v3.31 prepended (v3.32 resources.go determinePolicyName).
  const meta = effectiveMeta(object, group, true);
  validateLabelsAndAnnotations(meta, errors);
  const name = meta.name;
  if (name === undefined || name === "") return;
  if (name.length > MAX_NAME_LENGTH) {
    report(
      errors,
      meta.namePath,
      `name is ${name.length} characters long; Calico allows at most ${MAX_NAME_LENGTH}`,
    );
  } else if (name.startsWith(KNP_PREFIX)) {
    report(
      errors,
      meta.namePath,
      `name ${show(name)} uses the ${KNP_PREFIX} prefix reserved for Kubernetes NetworkPolicies converted by Calico`,
    );
  } else if (!GNP_NAME_REGEX.test(name)) {
    report(
      errors,
      meta.namePath,
      `name ${show(name)} is invalid: a GlobalNetworkPolicy name is lower-case alphanumerics and '-' (a DNS label), with at most one '.' (an optional "<prefix>." such as the tier)`,
    );
  }
}

/** validatePolicyType (Ingress|Egress), the repeated-type check and "PreDNAT PolicySpec cannot have 'egress' Type". */
function checkTypes(spec: JsonObject, preDNAT: boolean, errors: Errors): void {
  const types = getArray(spec, "types");
  if (types === undefined) return;
  const seen = new Set<string>();
  types.forEach((t, i) => {
    if (typeof t !== "string") return;
    const path = item("spec.types", i);
    if (!(POLICY_TYPES as readonly string[]).includes(t)) {
      const folded = POLICY_TYPES.find((p) => p.toLowerCase() === t.toLowerCase());
      report(
        errors,
        path,
        `unknown policy type ${show(t)}: must be Ingress or Egress${folded !== undefined ? ` (case-sensitive: use "${folded}")` : ""}`,
      );
    } else if (seen.has(t)) {
      report(errors, path, `'${t}' type specified more than once`);
    }
    seen.add(t);
    if (preDNAT && t === "Egress") {
      report(
        errors,
        path,
        "a preDNAT policy cannot have the Egress type: preDNAT policy applies to ingress only",
      );
    }
  });
}

/** validateGlobalNetworkPolicySpec global() checks (Go "global()", v3.32 CEL "global("); CRD MaxLength 1024. */
function checkSpecSelectors(spec: JsonObject, errors: Errors): void {
  for (const key of ["selector", "namespaceSelector", "serviceAccountSelector"] as const) {
    const text = getString(spec, key);
    if (text === undefined) continue;
    const path = child("spec", key);
    if (text.length > MAX_SELECTOR_LENGTH) {
      report(
        errors,
        path,
        `is ${text.length} characters long; Calico allows at most ${MAX_SELECTOR_LENGTH} (v3.32)`,
      );
    }
    if (mentionsGlobal(text)) {
      report(
        errors,
        path,
        "global() can only be used in an EntityRule namespaceSelector, not in a policy's selectors",
      );
    }
  }
}

/** globalnetworkpolicy.go PerformanceHints `unique,dive,oneof=AssumeNeededOnEveryNode`. */
function checkPerformanceHints(spec: JsonObject, errors: Errors): void {
  const hints = getArray(spec, "performanceHints");
  if (hints === undefined) return;
  const seen = new Set<string>();
  hints.forEach((h, i) => {
    if (typeof h !== "string") return;
    const path = item("spec.performanceHints", i);
    if (!(PERFORMANCE_HINTS as readonly string[]).includes(h)) {
      report(errors, path, `unknown performance hint ${show(h)}: the only hint is AssumeNeededOnEveryNode`);
    } else if (seen.has(h)) {
      report(errors, path, `performance hint ${show(h)} is listed more than once`);
    }
    seen.add(h);
  });
}

/** Rules that depend on the list a rule sits in (validateGlobalNetworkPolicySpec). */
function checkDirectionalRules(spec: JsonObject, errors: Errors): void {
  getArray(spec, "ingress")?.forEach((rule, i) => {
    const path = item("spec.ingress", i);
    validateRule(rule, path, errors);
    const destinationServices = get(getObject(rule, "destination"), "services");
    if (isObject(destinationServices)) {
      report(
        errors,
        child(child(path, "destination"), "services"),
        "services are not allowed in an ingress rule's destination (use source.services)",
      );
    }
    const sourceServices = get(getObject(rule, "source"), "services");
    if (isObject(sourceServices) && nonEmptyString(sourceServices, "namespace") === undefined) {
      report(
        errors,
        child(child(child(path, "source"), "services"), "namespace"),
        "must specify a namespace: in a GlobalNetworkPolicy service names are not namespaced by the policy",
      );
    }
  });
  getArray(spec, "egress")?.forEach((rule, i) => {
    const path = item("spec.egress", i);
    validateRule(rule, path, errors);
    const sourceServices = get(getObject(rule, "source"), "services");
    if (isObject(sourceServices)) {
      report(
        errors,
        child(child(path, "source"), "services"),
        "services are not allowed in an egress rule's source (use destination.services)",
      );
    }
    if (usesHttp(rule)) {
      report(errors, child(path, "http"), "http matches are not allowed in egress rules");
    }
    const destinationServices = get(getObject(rule, "destination"), "services");
    if (isObject(destinationServices) && nonEmptyString(destinationServices, "namespace") === undefined) {
      report(
        errors,
        child(child(child(path, "destination"), "services"), "namespace"),
        "must specify a namespace: in a GlobalNetworkPolicy service names are not namespaced by the policy",
      );
    }
  });
}

export function validateGlobalNetworkPolicy(object: JsonObject, group: ApiGroup, errors: Errors): void {
  checkName(object, group, errors);
  const spec = getObject(object, "spec");
  if (spec === undefined) return;

  // globalnetworkpolicy.go `Tier ... validate:"omitempty,name"` (nameRegex).
  const tier = getString(spec, "tier");
  if (tier !== undefined && tier !== "" && !NAME_REGEX.test(tier)) {
    report(
      errors,
      "spec.tier",
      `tier ${show(tier)} is not a valid resource name (lower-case alphanumerics, '-' and '.')`,
    );
  }

  const preDNAT = getFlag(spec, "preDNAT");
  const doNotTrack = getFlag(spec, "doNotTrack");
  const applyOnForward = getFlag(spec, "applyOnForward");
  // validateGlobalNetworkPolicySpec / GNP CEL: preDNAT excludes doNotTrack.
  if (preDNAT && doNotTrack) {
    report(errors, "spec.preDNAT", "preDNAT and doNotTrack cannot both be true");
  }
  // validateGlobalNetworkPolicySpec "PreDNAT PolicySpec cannot have any Egress rules".
  if (preDNAT && (getArray(spec, "egress")?.length ?? 0) > 0) {
    report(
      errors,
      "spec.egress",
      "a preDNAT policy cannot have egress rules: preDNAT policy applies to ingress only",
    );
  }
  // validateGlobalNetworkPolicySpec "ApplyOnForward must be true if either PreDNAT or DoNotTrack is true".
  if ((preDNAT || doNotTrack) && !applyOnForward) {
    report(
      errors,
      "spec.applyOnForward",
      `applyOnForward must be true when ${preDNAT ? "preDNAT" : "doNotTrack"} is true`,
    );
  }
  checkTypes(spec, preDNAT, errors);
  checkSpecSelectors(spec, errors);
  checkPerformanceHints(spec, errors);
  checkDirectionalRules(spec, errors);
}
