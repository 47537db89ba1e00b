/**
 * GlobalNetworkSet (calico-semantics §8, §10): validateGlobalNetworkSet
 * (libcalico-go/lib/validator/v3/validator.go) and the generic metadata rules. `spec.nets` syntax (CIDRs or
 * plain IPs, not necessarily masked: the `cidr` validator) is a decode matter left to normalize.
 */
import {
  effectiveMeta,
  validateLabelsAndAnnotations,
  validateSubdomainName,
  type ApiGroup,
} from "./metadata.js";
import { type Errors, type JsonObject, report } from "./util.js";

/** The label libcalico-go uses to map real namespaces into the v1 model; reserved in v3 objects. */
export const NAMESPACE_LABEL = "projectcalico.org/namespace";

export function validateGlobalNetworkSet(object: JsonObject, group: ApiGroup, errors: Errors): void {
  const meta = effectiveMeta(object, group);
  validateSubdomainName(meta, errors);
  validateLabelsAndAnnotations(meta, errors);
  for (const label of meta.labels) {
    if (label.key === NAMESPACE_LABEL) {
      report(
        errors,
        label.path,
        `label ${NAMESPACE_LABEL} is reserved: Calico sets it on namespaced endpoints, so a GlobalNetworkSet may not carry it`,
      );
    }
  }
}
