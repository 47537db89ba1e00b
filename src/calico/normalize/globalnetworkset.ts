/**
 * GlobalNetworkSet (calico-semantics §8): `spec.nets` is a list of CIDRs or plain IPs, v4 and v6 mixed.
 */
import { parseCidr } from "../net/ip.js";
import { err, ok, type FieldError, type Result } from "../result.js";
import type { ApiVersion, GlobalNetworkSet } from "../types.js";
import { type Errors, fromResult, get, type JsonObject, readList, readObject, report } from "./decode.js";
import { objectMeta, readMetadata } from "./metadata.js";

export function normalizeGlobalNetworkSet(
  object: JsonObject,
  apiVersion: ApiVersion,
): Result<GlobalNetworkSet, FieldError[]> {
  const errors: Errors = [];
  const meta = readMetadata(object, apiVersion, errors);
  const spec = readObject(get(object, "spec"), "spec", errors) ?? {};
  const nets =
    readList(get(spec, "nets"), "spec.nets", errors, (v, p) =>
      typeof v === "string"
        ? fromResult(parseCidr(v), p, errors)
        : report(errors, p, "must be a CIDR or IP string"),
    ) ?? [];
  if (meta === undefined || errors.length > 0) return err(errors);
  return ok({ kind: "GlobalNetworkSet", ...objectMeta(meta), nets });
}
