/**
 * Tier (calico-semantics §4): validateTier (libcalico-go/lib/validator/v3/validator.go: name length and
 * `tierNameRegex`, the default tier's order) and the v3.32 CRD rules on Tier
 * (api/pkg/apis/projectcalico/v3/tier.go: defaultAction enum, the built-in tiers' order and default
 * action). A missing defaultAction is defaulted to Deny by the CRD before those rules run.
 */
import { effectiveMeta, validateLabelsAndAnnotations, type ApiGroup } from "./metadata.js";
import { MAX_LABEL_NAME_LENGTH, TIER_NAME_REGEX } from "./names.js";
import { type Errors, get, getObject, type JsonObject, report, show } from "./util.js";

const DEFAULT_ACTIONS = ["Deny", "Pass"] as const;

/** Built-in tiers in v3.32 (api/pkg/apis/projectcalico/v3/tier.go constants, CEL rules). */
const BUILT_IN: Readonly<Record<string, { readonly order: number; readonly defaultAction: string }>> = {
  "kube-admin": { order: 1_000, defaultAction: "Pass" },
  default: { order: 1_000_000, defaultAction: "Deny" },
  "kube-baseline": { order: 10_000_000, defaultAction: "Pass" },
};

export function validateTier(object: JsonObject, group: ApiGroup, errors: Errors): void {
  const meta = effectiveMeta(object, group);
  validateLabelsAndAnnotations(meta, errors);
  // validateTier: DNS1123LabelMaxLength and tierNameRegex.
  const name = meta.name;
  if (name !== undefined && name !== "") {
    if (name.length > MAX_LABEL_NAME_LENGTH) {
      report(
        errors,
        meta.namePath,
        `tier name is ${name.length} characters long; Calico allows at most ${MAX_LABEL_NAME_LENGTH} (it must fit in a label value)`,
      );
    } else if (!TIER_NAME_REGEX.test(name)) {
      report(
        errors,
        meta.namePath,
        `tier name ${show(name)} is invalid: lower-case alphanumerics and '-' only, no dots (tier names are parts of policy names)`,
      );
    }
  }

  const spec = getObject(object, "spec");
  // tier.go `DefaultAction ... validate:"omitempty,oneof=Deny Pass"`.
  const rawAction = get(spec, "defaultAction");
  if (typeof rawAction === "string" && !(DEFAULT_ACTIONS as readonly string[]).includes(rawAction)) {
    report(
      errors,
      "spec.defaultAction",
      `defaultAction ${show(rawAction)} is invalid: Calico accepts Deny or Pass`,
    );
  }

  // validateTier "default tier order must be 1e+06" and the v3.32 CEL rules on the built-in tiers.
  const builtIn = name === undefined || !Object.hasOwn(BUILT_IN, name) ? undefined : BUILT_IN[name];
  if (builtIn === undefined) return;
  const order = get(spec, "order");
  if (order === undefined || (typeof order === "number" && order !== builtIn.order)) {
    report(
      errors,
      "spec.order",
      `the built-in ${show(name)} tier must have order ${builtIn.order}${order === undefined ? " (it is missing)" : `, not ${show(order)}`}`,
    );
  }
  const action = rawAction === undefined ? "Deny" : rawAction;
  if (typeof action === "string" && action !== builtIn.defaultAction) {
    report(
      errors,
      "spec.defaultAction",
      `the built-in ${show(name)} tier must have defaultAction ${builtIn.defaultAction}${rawAction === undefined ? " (unset means Deny)" : ""}`,
    );
  }
}
