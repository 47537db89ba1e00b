/**
 * KubeControllersConfiguration (calico-semantics §9.2): the `oneof=Enabled Disabled` fields and
 * `createDefaultHostEndpoint` (api/pkg/apis/projectcalico/v3/kubecontrollersconfig.go, validator.go
 * `validateCreateDefaultHostEndpoint`), and what clientv3 enforces before writing
 * (libcalico-go/lib/clientv3/kubecontrollersconfig.go: the name `default`, auto-HEP template checks).
 * Templates are not part of the normalised model, so their CIDRs and selectors are checked here.
 */
import { parseCidr } from "../net/ip.js";
import { parseSelector } from "../selector/index.js";
import {
  effectiveMeta,
  validateLabels,
  validateLabelsAndAnnotations,
  type ApiGroup,
  type MetaEntry,
} from "./metadata.js";
import { MAX_NAME_LENGTH, NAME_REGEX } from "./names.js";
import {
  child,
  type Errors,
  get,
  getArray,
  getObject,
  getString,
  isObject,
  item,
  type JsonObject,
  report,
  show,
} from "./util.js";

const MODES = ["Enabled", "Disabled"] as const;

/** kubecontrollersconfig.go `oneof=Enabled Disabled` / validateCreateDefaultHostEndpoint. */
function checkMode(parent: JsonObject | undefined, key: string, path: string, errors: Errors): void {
  const value = get(parent, key);
  if (typeof value === "string" && !(MODES as readonly string[]).includes(value)) {
    report(
      errors,
      child(path, key),
      `${key} ${show(value)} is invalid: must be Enabled or Disabled (case-sensitive)`,
    );
  }
}

/** clientv3/kubecontrollersconfig.go validateAndFillDefaults; Template `cidrs`, `selector`, `labels` tags. */
function checkTemplates(hostEndpoint: JsonObject, basePath: string, errors: Errors): void {
  const templatesPath = child(basePath, "templates");
  const names = new Set<string>();
  getArray(hostEndpoint, "templates")?.forEach((template, i) => {
    if (!isObject(template)) return;
    const path = item(templatesPath, i);
    const generateName = get(template, "generateName");
    if (generateName === undefined || generateName === "") {
      report(
        errors,
        child(path, "generateName"),
        "template generateName must be specified: it makes the generated HostEndpoint names unique",
      );
    } else if (typeof generateName === "string") {
      if (generateName.length > MAX_NAME_LENGTH) {
        report(
          errors,
          child(path, "generateName"),
          `generateName is ${generateName.length} characters long; at most ${MAX_NAME_LENGTH}`,
        );
      } else if (!NAME_REGEX.test(generateName)) {
        report(
          errors,
          child(path, "generateName"),
          `generateName ${show(generateName)} is not a valid resource name (lower-case alphanumerics, '-' and '.')`,
        );
      }
      if (names.has(generateName)) {
        report(
          errors,
          child(path, "generateName"),
          `generateName ${show(generateName)} is used by another template; template names must be unique`,
        );
      }
      names.add(generateName);
    }

    const cidrs = get(template, "interfaceCIDRs");
    if (cidrs === undefined || (Array.isArray(cidrs) && cidrs.length === 0)) {
      report(
        errors,
        child(path, "interfaceCIDRs"),
        "interfaceCIDRs can not be empty: kube-controllers selects each node's IPs for the template by these CIDRs",
      );
    }
    getArray(template, "interfaceCIDRs")?.forEach((cidr, j) => {
      if (typeof cidr === "string" && !parseCidr(cidr).ok) {
        report(errors, item(child(path, "interfaceCIDRs"), j), `${show(cidr)} is not a CIDR or IP address`);
      }
    });

    const nodeSelector = getString(template, "nodeSelector");
    if (nodeSelector !== undefined && nodeSelector !== "") {
      const parsed = parseSelector(nodeSelector);
      if (!parsed.ok) {
        report(
          errors,
          child(path, "nodeSelector"),
          `invalid selector ${show(nodeSelector)}: ${parsed.error.reason}`,
        );
      }
    }

    const labels = getObject(template, "labels");
    if (labels !== undefined) {
      const entries: MetaEntry[] = [];
      for (const key of Object.keys(labels)) {
        const value = labels[key];
        if (typeof value === "string") entries.push({ key, value, path: child(child(path, "labels"), key) });
      }
      validateLabels(entries, errors);
    }
  });
}

export function validateKubeControllersConfiguration(
  object: JsonObject,
  group: ApiGroup,
  errors: Errors,
): void {
  const meta = effectiveMeta(object, group);
  validateLabelsAndAnnotations(meta, errors);
  // clientv3/kubecontrollersconfig.go Create: "a name other than \"default\"" is refused.
  if (meta.name !== undefined && meta.name !== "" && meta.name !== "default") {
    report(
      errors,
      meta.namePath,
      `name ${show(meta.name)} is invalid: Calico only creates a KubeControllersConfiguration named "default", the only one calico-kube-controllers reads`,
    );
  }

  const spec = getObject(object, "spec");
  checkMode(spec, "healthChecks", "spec", errors);
  const controllers = getObject(spec, "controllers");
  const node = getObject(controllers, "node");
  const nodePath = "spec.controllers.node";
  checkMode(node, "syncLabels", nodePath, errors);
  const hostEndpoint = getObject(node, "hostEndpoint");
  if (hostEndpoint === undefined) return;
  const hepPath = child(nodePath, "hostEndpoint");
  checkMode(hostEndpoint, "autoCreate", hepPath, errors);
  checkMode(hostEndpoint, "createDefaultHostEndpoint", hepPath, errors);
  checkTemplates(hostEndpoint, hepPath, errors);
}
