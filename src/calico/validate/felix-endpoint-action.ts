/**
 * Felix's own parsing of the DefaultEndpointToHostAction parameter, which a
 * `config.projectcalico.org/DefaultEndpointToHostAction` annotation reaches unvalidated
 * (felix/config/config_params.go: `oneof(DROP,RETURN,ACCEPT)`, die-on-fail).
 * The failsafe list format is parsed by normalize (src/calico/normalize/felix-portlist.ts).
 */
import { err, ok, type Result } from "../result.js";

/** Felix's `oneof(DROP,RETURN,ACCEPT)` for DefaultEndpointToHostAction: case-insensitive, non-zero. */
export function parseFelixEndpointToHostAction(raw: string): Result<"DROP" | "RETURN" | "ACCEPT", string> {
  const upper = raw.toUpperCase();
  if (upper === "DROP" || upper === "RETURN" || upper === "ACCEPT") return ok(upper);
  if (raw.toLowerCase() === "none") return err("the parameter is non-zero, so it cannot be set to none");
  return err(`unknown option ${JSON.stringify(raw)} (Felix accepts DROP, RETURN or ACCEPT, any case)`);
}
