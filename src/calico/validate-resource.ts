import { normalize } from "./normalize/index.js";
import { err, type FieldError, type Result } from "./result.js";
import type { CalicoResource } from "./types.js";
import { validateRules } from "./validate/index.js";

/**
 * Normalise an object and apply Calico's validation rules (calico-semantics §10) plus the checks
 * for what Felix refuses to load although the API accepts it. An object that fails here is one
 * Felix would treat as deleted (felix/calc/validation_filter.go), so hostguard denies it rather
 * than let the stored state mean something else than it appears to.
 */
export function validateResource(object: unknown): Result<CalicoResource, FieldError[]> {
  const normalized = normalize(object);
  const ruleErrors = validateRules(object);
  if (normalized.ok && ruleErrors.length === 0) return normalized;
  // Both layers look at some fields (an unknown action, a CIDR in expectedIPs): report a path once,
  // with the validator's reason, which says what Calico expects.
  const seen = new Set(ruleErrors.map((e) => e.path));
  const decodeErrors = normalized.ok ? [] : normalized.error.filter((e) => !seen.has(e.path));
  return err([...decodeErrors, ...ruleErrors]);
}
