/**
 * A small reader for the subset of kustomize that deploy/ uses, so that the tests can build every
 * overlay without the kustomize binary:
 *
 * - `resources` (files and directories, recursively), `components` (kind: Component)
 * - `patches` (`path` or inline `patch`, optional `target` by group/version/kind/name/namespace):
 *   strategic merge patches (built-in list merge keys, `null` deletes, `$patch: delete` in keyed
 *   lists) and JSON 6902 patches (add, remove, replace, test)
 * - `namespace` (sets metadata.namespace of namespaced objects)
 * - `labels` (metadata.labels only; `includeSelectors`/`includeTemplates` are refused)
 *
 * Everything else in a kustomization file is an error, so that a feature the reader does not
 * implement cannot be silently ignored. Like kustomize, files (not directories) must lie inside the
 * kustomization's own directory, and two objects with the same identity are an error.
 * The order of transformations follows kustomize's: resources, components, patches, namespace, labels.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { parse, parseAllDocuments } from "yaml";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface K8sObject extends JsonObject {
  apiVersion: string;
  kind: string;
  metadata: JsonObject & { name: string };
}

const KUSTOMIZATION_FILES = ["kustomization.yaml", "kustomization.yml", "Kustomization"];
const SUPPORTED_FIELDS = new Set([
  "apiVersion",
  "kind",
  "resources",
  "components",
  "patches",
  "namespace",
  "labels",
]);

/** Kinds without a namespace, among those deploy/ (and its tests) use. */
const CLUSTER_SCOPED = new Set([
  "Namespace",
  "ClusterRole",
  "ClusterRoleBinding",
  "ValidatingWebhookConfiguration",
  "MutatingWebhookConfiguration",
  "CustomResourceDefinition",
  "PriorityClass",
  "APIService",
  "ClusterIssuer",
]);

/** Strategic-merge list keys of the built-in types, by the list's field name. */
const MERGE_KEYS: Record<string, string> = {
  webhooks: "name",
  matchConditions: "name",
  containers: "name",
  initContainers: "name",
  volumes: "name",
  volumeMounts: "mountPath",
  env: "name",
  imagePullSecrets: "name",
  tolerations: "key",
};

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function clone<T extends Json>(value: T): T {
  return structuredClone(value);
}

function groupOf(apiVersion: string): string {
  return apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
}

function versionOf(apiVersion: string): string {
  return apiVersion.includes("/") ? apiVersion.slice(apiVersion.indexOf("/") + 1) : apiVersion;
}

/** Built-in API groups get strategic-merge list semantics; custom resources get JSON merge. */
function isBuiltinGroup(group: string): boolean {
  return group === "" || !group.includes(".") || group.endsWith(".k8s.io");
}

export function objectId(o: K8sObject): string {
  const ns = CLUSTER_SCOPED.has(o.kind) ? "" : String(o.metadata.namespace ?? "");
  return `${groupOf(o.apiVersion)}/${o.kind}/${ns}/${o.metadata.name}`;
}

function asK8sObject(value: unknown, where: string): K8sObject {
  if (
    !isObject(value) ||
    typeof value.apiVersion !== "string" ||
    typeof value.kind !== "string" ||
    !isObject(value.metadata) ||
    typeof value.metadata.name !== "string"
  ) {
    throw new Error(`${where}: not a Kubernetes object with apiVersion, kind and metadata.name`);
  }
  return value as K8sObject;
}

function readDocuments(file: string): unknown[] {
  return parseAllDocuments(readFileSync(file, "utf8"))
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
      return doc.toJS() as unknown;
    })
    .filter((doc) => doc !== null && doc !== undefined);
}

function kustomizationFile(dir: string): string {
  for (const name of KUSTOMIZATION_FILES) {
    const file = join(dir, name);
    if (existsSync(file)) return file;
  }
  throw new Error(`${dir}: no kustomization.yaml`);
}

function insideRoot(root: string, file: string): boolean {
  const rel = relative(root, file);
  return rel !== "" && rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

function stringList(value: unknown, field: string, file: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw new Error(`${file}: ${field} must be a list of strings`);
  }
  return value as string[];
}

/** Build the kustomization in `dir` (a Kustomization; Components are reached through `components`). */
export function buildKustomization(dir: string): K8sObject[] {
  return build(resolve(dir), [], "Kustomization");
}

function build(dir: string, accumulated: K8sObject[], expectedKind: string): K8sObject[] {
  const file = kustomizationFile(dir);
  const k = parse(readFileSync(file, "utf8")) as unknown;
  if (!isObject(k)) throw new Error(`${file}: not a mapping`);
  for (const key of Object.keys(k)) {
    if (!SUPPORTED_FIELDS.has(key))
      throw new Error(`${file}: field "${key}" is not supported by the test reader`);
  }
  const kind = typeof k.kind === "string" ? k.kind : "Kustomization";
  if (kind !== expectedKind) throw new Error(`${file}: kind ${kind}, expected ${expectedKind}`);

  // resources: files inside this directory, or directories anywhere (each its own kustomization)
  let objects = accumulated.map((o) => clone(o));
  const own: K8sObject[] = [];
  for (const entry of stringList(k.resources, "resources", file)) {
    const path = resolve(dir, entry);
    if (!existsSync(path)) throw new Error(`${file}: resource ${entry} does not exist`);
    if (statSync(path).isDirectory()) {
      own.push(...build(path, [], "Kustomization"));
    } else {
      if (!insideRoot(dir, path)) {
        throw new Error(`${file}: resource file ${entry} is outside the kustomization's directory`);
      }
      own.push(...readDocuments(path).map((d, i) => asK8sObject(d, `${path} document ${i + 1}`)));
    }
  }
  objects = [...objects, ...own];
  assertUniqueIds(objects, file);

  for (const entry of stringList(k.components, "components", file)) {
    const path = resolve(dir, entry);
    if (!existsSync(path) || !statSync(path).isDirectory()) {
      throw new Error(`${file}: component ${entry} is not a directory`);
    }
    objects = build(path, objects, "Component");
  }

  if (k.patches !== undefined) {
    if (!Array.isArray(k.patches)) throw new Error(`${file}: patches must be a list`);
    for (const p of k.patches) objects = applyPatchEntry(objects, p, dir, file);
  }

  // namespace and labels apply to this kustomization's whole result (as in kustomize)
  if (k.namespace !== undefined) {
    if (typeof k.namespace !== "string") throw new Error(`${file}: namespace must be a string`);
    for (const o of objects) {
      if (!CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = k.namespace;
    }
  }
  if (k.labels !== undefined) {
    if (!Array.isArray(k.labels)) throw new Error(`${file}: labels must be a list`);
    for (const entry of k.labels) {
      if (!isObject(entry) || !isObject(entry.pairs)) throw new Error(`${file}: labels[] needs pairs`);
      if (entry.includeSelectors === true || entry.includeTemplates === true) {
        throw new Error(
          `${file}: labels includeSelectors/includeTemplates are not supported by the test reader`,
        );
      }
      for (const o of objects) {
        const labels = isObject(o.metadata.labels) ? o.metadata.labels : {};
        o.metadata.labels = { ...labels, ...clone(entry.pairs) };
      }
    }
  }
  assertUniqueIds(objects, file);
  return objects;
}

function assertUniqueIds(objects: K8sObject[], file: string): void {
  const seen = new Set<string>();
  for (const o of objects) {
    const id = objectId(o);
    if (seen.has(id)) throw new Error(`${file}: two objects with the identity ${id}`);
    seen.add(id);
  }
}

interface Target {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}

function matchesTarget(o: K8sObject, t: Target): boolean {
  return (
    (t.group === undefined || groupOf(o.apiVersion) === t.group) &&
    (t.version === undefined || versionOf(o.apiVersion) === t.version) &&
    (t.kind === undefined || o.kind === t.kind) &&
    (t.name === undefined || o.metadata.name === t.name) &&
    (t.namespace === undefined || o.metadata.namespace === t.namespace)
  );
}

function applyPatchEntry(objects: K8sObject[], entry: unknown, dir: string, file: string): K8sObject[] {
  if (!isObject(entry)) throw new Error(`${file}: patches[] must be a mapping`);
  for (const key of Object.keys(entry)) {
    if (!["path", "patch", "target"].includes(key)) {
      throw new Error(`${file}: patches[].${key} is not supported by the test reader`);
    }
  }
  let text: string;
  let where: string;
  if (typeof entry.path === "string") {
    const path = resolve(dir, entry.path);
    if (!insideRoot(dir, path))
      throw new Error(`${file}: patch ${entry.path} is outside the kustomization's directory`);
    text = readFileSync(path, "utf8");
    where = path;
  } else if (typeof entry.patch === "string") {
    text = entry.patch;
    where = `${file} (inline patch)`;
  } else {
    throw new Error(`${file}: a patch needs path or patch`);
  }
  let target: Target | undefined;
  if (entry.target !== undefined) {
    if (!isObject(entry.target)) throw new Error(`${file}: patches[].target must be a mapping`);
    for (const [key, value] of Object.entries(entry.target)) {
      if (!["group", "version", "kind", "name", "namespace"].includes(key) || typeof value !== "string") {
        throw new Error(`${file}: patches[].target.${key} is not supported by the test reader`);
      }
    }
    target = entry.target as Target;
  }

  const docs = readDocumentsFromText(text, where);
  if (docs.length !== 1) throw new Error(`${where}: a patch must be exactly one document`);
  const patch = docs[0];

  if (Array.isArray(patch)) {
    if (!target) throw new Error(`${where}: a JSON 6902 patch needs a target`);
    const matched = objects.filter((o) => matchesTarget(o, target));
    if (matched.length === 0) throw new Error(`${where}: the target matches no object`);
    return objects.map((o) => (matchesTarget(o, target) ? applyJson6902(o, patch, where) : o));
  }
  if (!isObject(patch)) throw new Error(`${where}: a patch must be a mapping or a list of operations`);
  const selector: Target =
    target ??
    (() => {
      const id = asK8sObject(patch, where);
      const t: Target = { group: groupOf(id.apiVersion), kind: id.kind, name: id.metadata.name };
      if (typeof id.metadata.namespace === "string") t.namespace = id.metadata.namespace;
      return t;
    })();
  const matched = objects.filter((o) => matchesTarget(o, selector));
  if (matched.length === 0) throw new Error(`${where}: the patch matches no object`);
  return objects.map((o) => {
    if (!matchesTarget(o, selector)) return o;
    const merged = strategicMerge(o, patch, [], isBuiltinGroup(groupOf(o.apiVersion)));
    // with a target, the patch's own identity fields (if any) do not rename the object
    if (target && isObject(merged)) {
      merged.apiVersion = o.apiVersion;
      merged.kind = o.kind;
      if (isObject(merged.metadata)) merged.metadata.name = o.metadata.name;
    }
    return asK8sObject(merged, where);
  });
}

function readDocumentsFromText(text: string, where: string): Json[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${where}: ${doc.errors[0]?.message}`);
      return doc.toJS() as Json;
    })
    .filter((doc) => doc !== null && doc !== undefined);
}

/** Strategic merge patch of `patch` onto `base` (a subset: see the file comment). */
export function strategicMerge(base: Json | undefined, patch: Json, path: string[], builtin: boolean): Json {
  if (isObject(patch)) {
    if (patch.$patch === "replace") {
      const { $patch: _ignored, ...rest } = patch;
      return clone(rest);
    }
    const result: JsonObject = isObject(base) ? clone(base) : {};
    for (const [key, value] of Object.entries(patch)) {
      if (key.startsWith("$"))
        throw new Error(`strategic merge directive ${key} is not supported by the test reader`);
      if (value === null) delete result[key];
      else result[key] = strategicMerge(result[key], value, [...path, key], builtin);
    }
    return result;
  }
  if (Array.isArray(patch)) {
    const key = builtin ? MERGE_KEYS[path[path.length - 1] ?? ""] : undefined;
    if (!key || !Array.isArray(base)) return clone(patch);
    const result = clone(base);
    for (const item of patch) {
      if (!isObject(item) || item[key] === undefined) {
        throw new Error(`strategic merge: items of ${path.join(".")} need the merge key "${key}"`);
      }
      const index = result.findIndex((b) => isObject(b) && b[key] === item[key]);
      if (item.$patch === "delete") {
        if (index >= 0) result.splice(index, 1);
      } else if (index >= 0) {
        result[index] = strategicMerge(result[index], item, [...path, "*"], builtin);
      } else {
        result.push(strategicMerge(undefined, item, [...path, "*"], builtin));
      }
    }
    return result;
  }
  return patch;
}

function pointer(path: string, where: string): string[] {
  if (!path.startsWith("/")) throw new Error(`${where}: JSON pointer ${path} must start with /`);
  return path
    .slice(1)
    .split("/")
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** Apply JSON 6902 operations (add, remove, replace, test) to a copy of `object`. */
export function applyJson6902(object: K8sObject, ops: Json[], where: string): K8sObject {
  const doc = clone(object) as Json;
  for (const op of ops) {
    if (!isObject(op) || typeof op.op !== "string" || typeof op.path !== "string") {
      throw new Error(`${where}: every operation needs op and path`);
    }
    const parts = pointer(op.path, where);
    const last = parts.pop();
    if (last === undefined) throw new Error(`${where}: empty path`);
    let parent: Json = doc;
    for (const part of parts) {
      const next: Json | undefined = Array.isArray(parent)
        ? parent[Number(part)]
        : isObject(parent)
          ? parent[part]
          : undefined;
      if (next === undefined) throw new Error(`${where}: ${op.op} ${op.path}: path does not exist`);
      parent = next;
    }
    const current: Json | undefined = Array.isArray(parent)
      ? parent[Number(last)]
      : isObject(parent)
        ? parent[last]
        : undefined;
    switch (op.op) {
      case "test":
        if (JSON.stringify(current) !== JSON.stringify(op.value)) {
          throw new Error(
            `${where}: test ${op.path} failed: ${JSON.stringify(current)} is not ${JSON.stringify(op.value)}`,
          );
        }
        break;
      case "remove":
        if (current === undefined) throw new Error(`${where}: remove ${op.path}: path does not exist`);
        if (Array.isArray(parent)) parent.splice(Number(last), 1);
        else if (isObject(parent)) delete parent[last];
        break;
      case "replace":
        if (current === undefined) throw new Error(`${where}: replace ${op.path}: path does not exist`);
        if (op.value === undefined) throw new Error(`${where}: replace ${op.path} needs a value`);
        if (Array.isArray(parent)) parent[Number(last)] = clone(op.value);
        else if (isObject(parent)) parent[last] = clone(op.value);
        break;
      case "add":
        if (op.value === undefined) throw new Error(`${where}: add ${op.path} needs a value`);
        if (Array.isArray(parent)) {
          if (last === "-") parent.push(clone(op.value));
          else parent.splice(Number(last), 0, clone(op.value));
        } else if (isObject(parent)) parent[last] = clone(op.value);
        else throw new Error(`${where}: add ${op.path}: parent is not a container`);
        break;
      default:
        throw new Error(`${where}: operation ${op.op} is not supported by the test reader`);
    }
  }
  return asK8sObject(doc, where);
}

/** The object of a kind and name; fails the test when there is not exactly one. */
export function findOne(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0] as K8sObject;
}

export function findAll(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

/** Sort by identity, for comparing two builds regardless of order. */
export function sortById(objects: K8sObject[]): K8sObject[] {
  return [...objects].sort((a, b) => objectId(a).localeCompare(objectId(b)));
}

/** `value.path[0].path[1]...`; numbers index lists. Undefined when any step is missing. */
export function field(value: Json | undefined, ...path: (string | number)[]): Json | undefined {
  let current: Json | undefined = value;
  for (const step of path) {
    if (typeof step === "number") current = Array.isArray(current) ? current[step] : undefined;
    else current = isObject(current) ? current[step] : undefined;
    if (current === undefined) return undefined;
  }
  return current;
}

export function obj(value: Json | undefined, what: string): JsonObject {
  if (!isObject(value)) throw new Error(`${what}: expected a mapping, got ${JSON.stringify(value)}`);
  return value;
}

export function list(value: Json | undefined, what: string): Json[] {
  if (!Array.isArray(value)) throw new Error(`${what}: expected a list, got ${JSON.stringify(value)}`);
  return value;
}

export function str(value: Json | undefined, what: string): string {
  if (typeof value !== "string") throw new Error(`${what}: expected a string, got ${JSON.stringify(value)}`);
  return value;
}

export function strings(value: Json | undefined, what: string): string[] {
  return list(value, what).map((v, i) => str(v, `${what}[${i}]`));
}
