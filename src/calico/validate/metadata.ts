/**
 * `metadata` rules shared by every Calico kind: the name, label and annotation syntax that
 * validateObjectMeta / validateObjectMetaLabels / validateObjectMetaAnnotations apply
 * (libcalico-go/lib/validator/v3/validator.go).
 *
 * For `crd.projectcalico.org/v1` objects Felix validates the v3 object libcalico-go rebuilds from the CR:
 * labels and annotations from the CR overlaid by the JSON in the `projectcalico.org/metadata` annotation,
 * and (for policies) the v3 name stored there (calico-semantics §2.3, trap T8). The Kubernetes API server
 * checks the CR's own labels, but nobody checks the ones inside that JSON, so we validate the effective
 * set and point at the place each value came from.
 */
import {
  byteLength,
  labelValueProblem,
  MAX_ANNOTATIONS_SIZE,
  qualifiedNameProblem,
  subdomainNameProblem,
} from "./names.js";
import {
  child,
  type Errors,
  get,
  getObject,
  getString,
  isObject,
  type JsonObject,
  report,
  show,
} from "./util.js";

export const METADATA_ANNOTATION = "projectcalico.org/metadata";

export type ApiGroup = "v3" | "v1";

/** One label or annotation as Felix will see it, with the path of the place that set it. */
export interface MetaEntry {
  readonly key: string;
  readonly value: string;
  readonly path: string;
}

/** The metadata libcalico-go hands to the validator, with paths back into the submitted object. */
export interface EffectiveMeta {
  readonly name?: string;
  readonly namePath: string;
  readonly labels: readonly MetaEntry[];
  readonly annotations: readonly MetaEntry[];
}

function entries(object: JsonObject | undefined, path: string): MetaEntry[] {
  if (object === undefined) return [];
  const out: MetaEntry[] = [];
  for (const key of Object.keys(object)) {
    const value = object[key];
    if (typeof value === "string") out.push({ key, value, path: child(path, key) });
  }
  return out;
}

/** Later entries win, as the JSON in the metadata annotation wins over the CR (ConvertK8sResourceToCalicoResource). */
function overlay(base: readonly MetaEntry[], top: readonly MetaEntry[]): MetaEntry[] {
  const byKey = new Map<string, MetaEntry>();
  for (const e of base) byKey.set(e.key, e);
  for (const e of top) byKey.set(e.key, e);
  return [...byKey.values()];
}

/** The JSON object stored in the v1 metadata annotation; undefined when absent or not decodable (normalize reports that). */
function readStash(annotations: JsonObject | undefined): JsonObject | undefined {
  const text = getString(annotations, METADATA_ANNOTATION);
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Effective metadata. `stripDefaultTierPrefix`: for v1 policies without a stored v3 name, libcalico-go
 * v3.32 strips the `default.` prefix that v3.29–v3.31 wrote (resources.go `determinePolicyName`).
 */
export function effectiveMeta(
  object: JsonObject,
  group: ApiGroup,
  stripDefaultTierPrefix = false,
): EffectiveMeta {
  const metadata = getObject(object, "metadata");
  const labelsObject = getObject(metadata, "labels");
  const annotationsObject = getObject(metadata, "annotations");
  let labels = entries(labelsObject, "metadata.labels");
  let annotations = entries(annotationsObject, "metadata.annotations");
  let name = getString(metadata, "name");
  let namePath = "metadata.name";
  if (
    group === "v1" &&
    annotationsObject !== undefined &&
    get(annotationsObject, METADATA_ANNOTATION) !== undefined
  ) {
    const stashPath = child("metadata.annotations", METADATA_ANNOTATION);
    // The annotation itself is dropped from the rebuilt object.
    annotations = annotations.filter((e) => e.key !== METADATA_ANNOTATION);
    const stash = readStash(annotationsObject);
    if (stash !== undefined) {
      labels = overlay(labels, entries(getObject(stash, "labels"), child(stashPath, "labels")));
      annotations = overlay(
        annotations,
        entries(getObject(stash, "annotations"), child(stashPath, "annotations")),
      );
      const stashedName = getString(stash, "name");
      if (stashedName !== undefined && stashedName !== "") {
        name = stashedName;
        namePath = child(stashPath, "name");
      }
    }
  }
  if (
    stripDefaultTierPrefix &&
    group === "v1" &&
    namePath === "metadata.name" &&
    name?.startsWith("default.")
  ) {
    name = name.slice("default.".length);
  }
  return { ...(name !== undefined && { name }), namePath, labels, annotations };
}

/** validateObjectMetaLabels: keys are qualified names, values valid label values. */
export function validateLabels(labels: readonly MetaEntry[], errors: Errors): void {
  for (const { key, value, path } of labels) {
    const keyProblem = qualifiedNameProblem(key);
    if (keyProblem !== undefined) {
      report(
        errors,
        path,
        `label key ${show(key)} ${keyProblem} (Kubernetes label syntax, which Calico enforces)`,
      );
    }
    const valueProblem = labelValueProblem(value);
    if (valueProblem !== undefined) {
      report(errors, path, `label value ${show(value)} ${valueProblem} (Kubernetes label syntax)`);
    }
  }
}

/** validateObjectMetaAnnotations: keys (lower-cased) are qualified names; keys plus values at most 256 KiB. */
export function validateAnnotations(
  annotations: readonly MetaEntry[],
  basePath: string,
  errors: Errors,
): void {
  let size = 0;
  for (const { key, value, path } of annotations) {
    const problem = qualifiedNameProblem(key.toLowerCase());
    if (problem !== undefined) {
      report(errors, path, `annotation key ${show(key)} ${problem} (Kubernetes annotation key syntax)`);
    }
    size += byteLength(key) + byteLength(value);
  }
  if (size > MAX_ANNOTATIONS_SIZE) {
    report(
      errors,
      basePath,
      `annotations total ${size} bytes; Calico allows at most ${MAX_ANNOTATIONS_SIZE} (256 KiB) for keys plus values`,
    );
  }
}

/** validateObjectMeta: the generic resource name (DNS-1123 subdomain, at most 253 characters). */
export function validateSubdomainName(meta: EffectiveMeta, errors: Errors): void {
  if (meta.name === undefined || meta.name === "") return; // missing names are a decode error
  const problem = subdomainNameProblem(meta.name);
  if (problem !== undefined) report(errors, meta.namePath, `name ${show(meta.name)} ${problem}`);
}

/** Labels and annotations of any kind (validateObjectMeta). */
export function validateLabelsAndAnnotations(meta: EffectiveMeta, errors: Errors): void {
  validateLabels(meta.labels, errors);
  validateAnnotations(meta.annotations, "metadata.annotations", errors);
}
