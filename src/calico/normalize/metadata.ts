/**
 * `metadata` of every kind, including the v1 storage form of Calico objects.
 *
 * Since v3.28, when libcalico-go writes a `crd.projectcalico.org/v1` object it keeps the v3 metadata as JSON
 * in the annotation `projectcalico.org/metadata` and copies onto the v1 object only the label and annotation
 * keys it owns (`projectcalico.org/`, `operator.tigera.io/`). On read (`ConvertK8sResourceToCalicoResource`,
 * libcalico-go/lib/backend/k8s/resources/resources.go) it starts from the v1 labels and annotations, drops
 * the metadata annotation, and overlays the JSON's labels and annotations on top: the JSON wins. For
 * policies the JSON also carries the v3 name; its creationTimestamp, when set, replaces the CR's.
 * calico-semantics §2.3, trap T8.
 */
import type { ApiVersion, Labels } from "../types.js";
import {
  child,
  type Errors,
  get,
  isObject,
  type JsonObject,
  readObject,
  readString,
  readStringMap,
  report,
} from "./decode.js";

export const METADATA_ANNOTATION = "projectcalico.org/metadata";

/** The metadata every normalised object carries, plus what only some kinds use. */
export interface DecodedMeta {
  readonly apiVersion: ApiVersion;
  readonly name: string;
  readonly labels: Labels;
  readonly annotations: ReadonlyMap<string, string>;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly creationTimestamp?: string;
  /** the `name` stored in the v1 metadata annotation (the v3 policy name), when there is one */
  readonly annotationName?: string;
}

/** What the `projectcalico.org/metadata` JSON contributes. */
interface StashedMeta {
  readonly name?: string;
  readonly labels?: Map<string, string>;
  readonly annotations?: Map<string, string>;
  readonly creationTimestamp?: string;
}

/**
 * Decodes the annotation JSON as Go's json.Unmarshal into metav1.ObjectMeta would: it must be an object
 * (or `null`, which changes nothing); labels and annotations must map strings to strings.
 */
function readStash(text: string, path: string, errors: Errors): StashedMeta | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    return report(errors, path, `is not valid JSON (${detail.split("\n")[0] ?? ""})`);
  }
  if (parsed === null) return {};
  if (!isObject(parsed)) return report(errors, path, "must hold a JSON object of metadata");
  const before = errors.length;
  // Paths inside the JSON are written after the annotation's own path, e.g. `...["projectcalico.org/metadata"].labels`.
  const name = readString(get(parsed, "name"), child(path, "name"), errors);
  const labels = readStringMap(get(parsed, "labels"), child(path, "labels"), errors);
  const annotations = readStringMap(get(parsed, "annotations"), child(path, "annotations"), errors);
  const creationTimestamp = readString(
    get(parsed, "creationTimestamp"),
    child(path, "creationTimestamp"),
    errors,
  );
  if (errors.length > before) return undefined;
  return { name, labels, annotations, creationTimestamp };
}

function overlay(
  base: Map<string, string>,
  top: ReadonlyMap<string, string> | undefined,
): Map<string, string> {
  if (top !== undefined) for (const [k, v] of top) base.set(k, v);
  return base;
}

/**
 * Decodes `metadata`; undefined when there is no usable name. A missing or empty name is an error:
 * nothing can refer to the object. For
 * `crd.projectcalico.org/v1` objects the metadata annotation is resolved; other API groups keep their
 * metadata as written.
 */
export function readMetadata(
  object: JsonObject,
  apiVersion: ApiVersion,
  errors: Errors,
): DecodedMeta | undefined {
  const before = errors.length;
  const metadata = readObject(get(object, "metadata"), "metadata", errors);
  if (metadata === undefined) {
    if (errors.length === before) report(errors, "metadata", "is required");
    return undefined;
  }
  const name = readString(get(metadata, "name"), "metadata.name", errors);
  if (name === undefined || name === "") {
    if (errors.length === before) report(errors, "metadata.name", "is required");
  }
  const labels = readStringMap(get(metadata, "labels"), "metadata.labels", errors) ?? new Map();
  const annotations =
    readStringMap(get(metadata, "annotations"), "metadata.annotations", errors) ?? new Map();
  const uid = readString(get(metadata, "uid"), "metadata.uid", errors);
  const resourceVersion = readString(get(metadata, "resourceVersion"), "metadata.resourceVersion", errors);
  let creationTimestamp = readString(
    get(metadata, "creationTimestamp"),
    "metadata.creationTimestamp",
    errors,
  );

  let annotationName: string | undefined;
  const stashText =
    apiVersion === "crd.projectcalico.org/v1" ? annotations.get(METADATA_ANNOTATION) : undefined;
  if (stashText !== undefined) {
    annotations.delete(METADATA_ANNOTATION);
    const stash = readStash(stashText, child("metadata.annotations", METADATA_ANNOTATION), errors);
    if (stash !== undefined) {
      overlay(labels, stash.labels);
      overlay(annotations, stash.annotations);
      // libcalico-go keeps the CR's name when the JSON has none (or an empty one).
      if (stash.name !== undefined && stash.name !== "") annotationName = stash.name;
      if (stash.creationTimestamp !== undefined && stash.creationTimestamp !== "") {
        creationTimestamp = stash.creationTimestamp;
      }
    }
  }
  // Returned even when other metadata fields had errors, so that callers can keep decoding (and
  // collecting errors); they fail on any recorded error.
  if (name === undefined || name === "") return undefined;
  return {
    apiVersion,
    name,
    labels,
    annotations,
    ...(uid !== undefined && { uid }),
    ...(resourceVersion !== undefined && { resourceVersion }),
    ...(creationTimestamp !== undefined && { creationTimestamp }),
    ...(annotationName !== undefined && { annotationName }),
  };
}

/** The ObjectMeta part of a normalised object (drops the decode-only `annotationName`). */
export function objectMeta(meta: DecodedMeta): Omit<DecodedMeta, "annotationName"> {
  const { annotationName: _unused, ...rest } = meta;
  return rest;
}
