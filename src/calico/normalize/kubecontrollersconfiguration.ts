/**
 * KubeControllersConfiguration: only `spec.controllers.node.hostEndpoint.autoCreate` matters, the switch
 * for automatic host endpoints (calico-semantics §9.2). kube-controllers compares it exactly with
 * `Enabled`, so any other spelling cannot be modelled and is an error.
 */
import { err, ok, type FieldError, type Result } from "../result.js";
import type { ApiVersion, AutoCreate, KubeControllersConfiguration } from "../types.js";
import { type Errors, get, type JsonObject, readObject, readString, report } from "./decode.js";
import { objectMeta, readMetadata } from "./metadata.js";

const PATH = "spec.controllers.node.hostEndpoint";

function readAutoCreate(value: unknown, path: string, errors: Errors): AutoCreate | undefined {
  const text = readString(value, path, errors);
  if (text === undefined || text === "Enabled" || text === "Disabled") return text;
  return report(errors, path, `must be Enabled or Disabled, not ${JSON.stringify(text)}`);
}

export function normalizeKubeControllersConfiguration(
  object: JsonObject,
  apiVersion: ApiVersion,
): Result<KubeControllersConfiguration, FieldError[]> {
  const errors: Errors = [];
  const meta = readMetadata(object, apiVersion, errors);
  const spec = readObject(get(object, "spec"), "spec", errors) ?? {};
  const controllers = readObject(get(spec, "controllers"), "spec.controllers", errors) ?? {};
  const node = readObject(get(controllers, "node"), "spec.controllers.node", errors) ?? {};
  const hostEndpoint = readObject(get(node, "hostEndpoint"), PATH, errors) ?? {};
  const autoCreate = readAutoCreate(get(hostEndpoint, "autoCreate"), `${PATH}.autoCreate`, errors);
  if (meta === undefined || errors.length > 0) return err(errors);
  return ok({
    kind: "KubeControllersConfiguration",
    ...objectMeta(meta),
    ...(autoCreate !== undefined && { autoCreateHostEndpoints: autoCreate }),
  });
}
