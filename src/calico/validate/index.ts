/**
 * Calico's semantic validation rules (calico-semantics §10), applied to the raw admission object, plus
 * the checks for what Felix refuses to load although the API accepts it. Decoding problems (wrong JSON
 * types, bad CIDR/port syntax, unparseable selectors, unknown kinds) are `normalize()`'s; the two lists
 * are concatenated by `validateResource`.
 *
 * Both API groups are handled: `projectcalico.org/v3` and the `crd.projectcalico.org/v1` storage form
 * (whose spec is the same Go type, calico-semantics §2.3). Kubernetes `v1` Nodes have no Calico rules.
 * Where Calico is version-dependent, the rules follow v3.32.
 */
import type { FieldError } from "../result.js";
import { validateFelixConfiguration } from "./felixconfiguration.js";
import { validateGlobalNetworkPolicy } from "./globalnetworkpolicy.js";
import { validateGlobalNetworkSet } from "./globalnetworkset.js";
import { validateHostEndpoint } from "./hostendpoint.js";
import { validateKubeControllersConfiguration } from "./kubecontrollersconfiguration.js";
import type { ApiGroup } from "./metadata.js";
import { validateTier } from "./tier.js";
import { type Errors, getString, isObject, type JsonObject } from "./util.js";

export { parseFelixEndpointToHostAction } from "./felix-endpoint-action.js";

type KindValidator = (object: JsonObject, group: ApiGroup, errors: Errors) => void;

const VALIDATORS: Readonly<Record<string, KindValidator>> = {
  GlobalNetworkPolicy: validateGlobalNetworkPolicy,
  HostEndpoint: validateHostEndpoint,
  GlobalNetworkSet: validateGlobalNetworkSet,
  FelixConfiguration: validateFelixConfiguration,
  KubeControllersConfiguration: validateKubeControllersConfiguration,
  Tier: validateTier,
};

function apiGroup(apiVersion: string | undefined): ApiGroup | undefined {
  if (apiVersion === "projectcalico.org/v3") return "v3";
  if (apiVersion === "crd.projectcalico.org/v1") return "v1";
  return undefined;
}

/**
 * The Calico rule violations of one object, `[]` when there are none or when the object is not a
 * Calico kind this module knows (normalize reports unknown apiVersion/kind). Never throws.
 */
export function validateRules(object: unknown): FieldError[] {
  if (!isObject(object)) return [];
  const group = apiGroup(getString(object, "apiVersion"));
  const kind = getString(object, "kind");
  if (group === undefined || kind === undefined || !Object.hasOwn(VALIDATORS, kind)) return [];
  const validator = VALIDATORS[kind];
  if (validator === undefined) return [];
  const errors: Errors = [];
  try {
    validator(object, group, errors);
  } catch (e) {
    // Defence in depth for an admission webhook: a bug here becomes a clear rejection, not a crash.
    const detail = e instanceof Error ? e.message.split("\n")[0] : String(e);
    errors.push({
      path: "",
      reason: `internal error while validating this ${kind} (${detail ?? "unknown"}); please report it`,
    });
  }
  return errors;
}
