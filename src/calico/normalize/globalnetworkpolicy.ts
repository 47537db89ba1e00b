/**
 * GlobalNetworkPolicy (api/pkg/apis/projectcalico/v3/globalnetworkpolicy.go; calico-semantics §2.3, §4).
 *
 * What normalisation resolves, so that both API groups mean the same thing:
 * - the name: v1 objects may carry the v3 name in the metadata annotation, and v3.29–v3.31 stored
 *   default-tier policies as `default.<name>`; v3.32 reads them back without the prefix
 *   (libcalico-go/lib/backend/k8s/resources, `determinePolicyName`). `storedName` keeps the stored name.
 * - `tier`: empty means `default` (`tierOrDefault` in updateprocessors/networkpolicyprocessor.go).
 * - `types`: on v3 writes the Calico client / API server fills them in (`defaultPolicyTypesField`,
 *   libcalico-go/lib/clientv3/globalnetworkpolicy.go). A v1 object written directly is not defaulted,
 *   and Felix reads no types as Ingress+Egress ("Back compatibility" in felix/calc/policy_sorter.go):
 *   trap T3.
 */
import { err, ok, type FieldError, type Result } from "../result.js";
import type { ApiVersion, GlobalNetworkPolicy, PolicyTypes, Rule } from "../types.js";
import {
  type Errors,
  get,
  type JsonObject,
  readBoolean,
  readList,
  readNumber,
  readObject,
  readString,
  report,
} from "./decode.js";
import { objectMeta, readMetadata } from "./metadata.js";
import { readRules } from "./rule.js";
import { readOptionalSelector, readPolicySelector } from "./selector-field.js";

type PolicyType = "Ingress" | "Egress";

function readTypes(value: unknown, path: string, errors: Errors): PolicyType[] | undefined {
  return readList(value, path, errors, (element, p) => {
    if (element === "Ingress" || element === "Egress") return element;
    const shown = typeof element === "string" ? JSON.stringify(element) : String(element);
    return report(errors, p, `unknown policy type ${shown}: must be Ingress or Egress`);
  });
}

/** Effective directions and whether they were defaulted (see the module comment). */
export function effectiveTypes(
  written: readonly PolicyType[] | undefined,
  apiVersion: ApiVersion,
  ingress: readonly Rule[],
  egress: readonly Rule[],
): { types: PolicyTypes; typesDefaulted: boolean } {
  if (written !== undefined && written.length > 0) {
    return {
      types: { ingress: written.includes("Ingress"), egress: written.includes("Egress") },
      typesDefaulted: false,
    };
  }
  if (apiVersion === "crd.projectcalico.org/v1")
    return { types: { ingress: true, egress: true }, typesDefaulted: true };
  // defaultPolicyTypesField: no egress rules → Ingress (also when there are no rules at all);
  // only egress rules → Egress; both → both.
  if (egress.length === 0) return { types: { ingress: true, egress: false }, typesDefaulted: true };
  if (ingress.length === 0) return { types: { ingress: false, egress: true }, typesDefaulted: true };
  return { types: { ingress: true, egress: true }, typesDefaulted: true };
}

/** The name Calico reports: the v3 name if stored in the annotation, without a `default.` tier prefix. */
export function policyName(storedName: string, annotationName: string | undefined, tier: string): string {
  const name = annotationName ?? storedName;
  const prefix = "default.";
  return tier === "default" && name.startsWith(prefix) && name.length > prefix.length
    ? name.slice(prefix.length)
    : name;
}

export function normalizeGlobalNetworkPolicy(
  object: JsonObject,
  apiVersion: ApiVersion,
): Result<GlobalNetworkPolicy, FieldError[]> {
  const errors: Errors = [];
  const meta = readMetadata(object, apiVersion, errors);
  const spec = readObject(get(object, "spec"), "spec", errors) ?? {};
  const tierText = readString(get(spec, "tier"), "spec.tier", errors);
  const tier = tierText === undefined || tierText === "" ? "default" : tierText;
  const order = readNumber(get(spec, "order"), "spec.order", errors);
  const selector = readPolicySelector(get(spec, "selector"), "spec.selector", errors);
  const namespaceSelector = readOptionalSelector(
    get(spec, "namespaceSelector"),
    "spec.namespaceSelector",
    errors,
  );
  const serviceAccountSelector = readOptionalSelector(
    get(spec, "serviceAccountSelector"),
    "spec.serviceAccountSelector",
    errors,
  );
  const written = readTypes(get(spec, "types"), "spec.types", errors);
  const ingress = readRules(get(spec, "ingress"), "spec.ingress", errors);
  const egress = readRules(get(spec, "egress"), "spec.egress", errors);
  const preDNAT = readBoolean(get(spec, "preDNAT"), "spec.preDNAT", errors) ?? false;
  const doNotTrack = readBoolean(get(spec, "doNotTrack"), "spec.doNotTrack", errors) ?? false;
  const applyOnForward = readBoolean(get(spec, "applyOnForward"), "spec.applyOnForward", errors) ?? false;
  if (meta === undefined || selector === undefined || errors.length > 0) return err(errors);
  const { types, typesDefaulted } = effectiveTypes(written, apiVersion, ingress, egress);
  return ok({
    kind: "GlobalNetworkPolicy",
    ...objectMeta(meta),
    name: policyName(meta.name, meta.annotationName, tier),
    storedName: meta.name,
    tier,
    ...(order !== undefined && { order }),
    selector,
    ...(namespaceSelector !== undefined && { namespaceSelector }),
    ...(serviceAccountSelector !== undefined && { serviceAccountSelector }),
    types,
    typesDefaulted,
    ingress,
    egress,
    preDNAT,
    doNotTrack,
    applyOnForward,
  });
}
