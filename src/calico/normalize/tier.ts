/**
 * Tier (api/pkg/apis/projectcalico/v3/tier.go; calico-semantics §4): `order` (nil = after every ordered
 * tier) and `defaultAction`, Deny unless set to Pass.
 */
import { err, ok, type FieldError, type Result } from "../result.js";
import type { ApiVersion, Tier, TierDefaultAction } from "../types.js";
import { type Errors, get, type JsonObject, readNumber, readObject, readString, report } from "./decode.js";
import { objectMeta, readMetadata } from "./metadata.js";

function readDefaultAction(value: unknown, path: string, errors: Errors): TierDefaultAction | undefined {
  const text = readString(value, path, errors);
  if (text === undefined || text === "") return "Deny";
  if (text === "Deny" || text === "Pass") return text;
  return report(errors, path, `must be Deny or Pass, not ${JSON.stringify(text)}`);
}

export function normalizeTier(object: JsonObject, apiVersion: ApiVersion): Result<Tier, FieldError[]> {
  const errors: Errors = [];
  const meta = readMetadata(object, apiVersion, errors);
  const spec = readObject(get(object, "spec"), "spec", errors) ?? {};
  const order = readNumber(get(spec, "order"), "spec.order", errors);
  const defaultAction = readDefaultAction(get(spec, "defaultAction"), "spec.defaultAction", errors);
  if (meta === undefined || defaultAction === undefined || errors.length > 0) return err(errors);
  return ok({
    kind: "Tier",
    ...objectMeta(meta),
    ...(order !== undefined && { order }),
    defaultAction,
  });
}
