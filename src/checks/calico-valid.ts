import type { FieldError } from "../calico/result.js";
import type { Finding } from "./finding.js";

/**
 * calico-valid: an object Calico's validator rejects, or Felix cannot load, is denied. Felix treats
 * an invalid object as deleted (felix/calc/validation_filter.go), so letting it in would change the
 * firewall in a way nobody wrote (calico-semantics §11). Only the written object is judged: invalid
 * objects already stored are absent from the modelled state.
 */
export function calicoValidFindings(kind: string, name: string, errors: readonly FieldError[]): Finding[] {
  return errors.map((e) => ({
    check: "calico-valid",
    key: `calico-valid:${kind}:${name}:${e.path}:${e.reason}`,
    severity: "violation",
    field: e.path,
    message: `${e.path || "object"}: ${e.reason}`,
  }));
}
