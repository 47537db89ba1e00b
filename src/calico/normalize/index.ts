/**
 * `normalize`: decode one Kubernetes object (either Calico API group, or a core Node) into the model of
 * src/calico/types.ts. It reports what cannot be decoded, with field paths, and never throws. Calico's
 * semantic validation is separate (src/calico/validate/).
 */
import { err, type FieldError, type Result } from "../result.js";
import type { ApiVersion, CalicoResource, ResourceKind } from "../types.js";
import { type Errors, get, isObject, type JsonObject, readString, report } from "./decode.js";
import { normalizeFelixConfiguration } from "./felixconfiguration.js";
import { normalizeGlobalNetworkPolicy } from "./globalnetworkpolicy.js";
import { normalizeGlobalNetworkSet } from "./globalnetworkset.js";
import { normalizeHostEndpoint } from "./hostendpoint.js";
import { normalizeKubeControllersConfiguration } from "./kubecontrollersconfiguration.js";
import { normalizeNode } from "./node.js";
import { normalizeTier } from "./tier.js";

export { parseFelixPortList } from "./felix-portlist.js";
export { effectiveTypes, policyName } from "./globalnetworkpolicy.js";
export { METADATA_ANNOTATION } from "./metadata.js";

const API_VERSIONS: readonly ApiVersion[] = ["v1", "projectcalico.org/v3", "crd.projectcalico.org/v1"];

type Decoder = (object: JsonObject, apiVersion: ApiVersion) => Result<CalicoResource, FieldError[]>;

const CALICO_DECODERS: ReadonlyMap<Exclude<ResourceKind, "Node">, Decoder> = new Map<
  Exclude<ResourceKind, "Node">,
  Decoder
>([
  ["HostEndpoint", normalizeHostEndpoint],
  ["GlobalNetworkPolicy", normalizeGlobalNetworkPolicy],
  ["GlobalNetworkSet", normalizeGlobalNetworkSet],
  ["FelixConfiguration", normalizeFelixConfiguration],
  ["KubeControllersConfiguration", normalizeKubeControllersConfiguration],
  ["Tier", normalizeTier],
]);

function readApiVersion(object: JsonObject, errors: Errors): ApiVersion | undefined {
  const text = readString(get(object, "apiVersion"), "apiVersion", errors);
  if (text === undefined) {
    return errors.length === 0 ? report(errors, "apiVersion", "is required") : undefined;
  }
  const known = API_VERSIONS.find((v) => v === text);
  if (known !== undefined) return known;
  return report(
    errors,
    "apiVersion",
    `unsupported apiVersion ${JSON.stringify(text)}: expected v1 (Node), projectcalico.org/v3 or crd.projectcalico.org/v1`,
  );
}

function decoderFor(
  object: JsonObject,
  apiVersion: ApiVersion | undefined,
  errors: Errors,
): Decoder | undefined {
  const before = errors.length;
  const kind = readString(get(object, "kind"), "kind", errors);
  if (kind === undefined) return errors.length === before ? report(errors, "kind", "is required") : undefined;
  if (kind === "Node") {
    if (apiVersion !== undefined && apiVersion !== "v1") {
      return report(errors, "apiVersion", `a Node must have apiVersion v1, not ${apiVersion}`);
    }
    return normalizeNode;
  }
  const decoder = CALICO_DECODERS.get(kind as Exclude<ResourceKind, "Node">);
  if (decoder === undefined) {
    return report(
      errors,
      "kind",
      `unsupported kind ${JSON.stringify(kind)}: expected Node, HostEndpoint, GlobalNetworkPolicy, GlobalNetworkSet, FelixConfiguration, KubeControllersConfiguration or Tier`,
    );
  }
  if (apiVersion === "v1")
    return report(errors, "apiVersion", `a ${kind} must have a Calico apiVersion, not v1`);
  return decoder;
}

/**
 * Decodes one object into the normalised model, or lists every field that could not be decoded.
 * Never throws: any input, including non-objects, yields a Result.
 */
export function normalize(object: unknown): Result<CalicoResource, FieldError[]> {
  try {
    if (!isObject(object)) return err([{ path: "", reason: "must be a Kubernetes object (a JSON object)" }]);
    const errors: Errors = [];
    const apiVersion = readApiVersion(object, errors);
    const decoder = decoderFor(object, apiVersion, errors);
    if (apiVersion === undefined || decoder === undefined) return err(errors);
    return decoder(object, apiVersion);
  } catch (e) {
    // Defensive only: the decoders do not throw on JSON input. Exotic inputs (a Proxy, a throwing getter)
    // still get an answer instead of an exception.
    const detail = e instanceof Error ? e.message : String(e);
    return err([{ path: "", reason: `internal error while decoding: ${detail.split("\n")[0] ?? ""}` }]);
  }
}
