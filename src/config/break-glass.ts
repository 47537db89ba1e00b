/**
 * `breakGlass: {annotation, users, groups}`. The defaults let nobody break glass: an override has to be
 * granted explicitly, by name, because it switches the guard off for one change.
 */
import { readStringList } from "./fields.js";
import { keyPath } from "./paths.js";
import { checkKeys, field, isPlainObject, nullReason, typeOf, type Errors } from "./shape.js";
import type { BreakGlass } from "./types.js";

export const DEFAULT_BREAK_GLASS_ANNOTATION = "hostguard.dev/break-glass";

/** Kubernetes qualified names (apimachinery validation.IsQualifiedName): `[<dns-subdomain>/]<name>`. */
const ANNOTATION_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function annotationProblem(key: string): string | undefined {
  const slash = key.indexOf("/");
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return "the prefix before '/' must be a DNS subdomain (lower-case, at most 253 characters)";
  }
  if (!ANNOTATION_NAME.test(name)) {
    return "the name must be 1-63 characters of letters, digits, '-', '_' and '.', starting and ending with a letter or digit";
  }
  return undefined;
}

function readAnnotation(value: unknown, path: string, errors: Errors): string | undefined {
  if (value === undefined) return DEFAULT_BREAK_GLASS_ANNOTATION;
  if (typeof value !== "string") {
    errors.push({
      path,
      reason: `expected an annotation key such as "${DEFAULT_BREAK_GLASS_ANNOTATION}", not ${typeOf(value)}`,
    });
    return undefined;
  }
  const problem = annotationProblem(value);
  if (problem !== undefined) {
    errors.push({ path, reason: `${JSON.stringify(value)} is not a Kubernetes annotation key: ${problem}` });
    return undefined;
  }
  return value;
}

function readNames(value: unknown, path: string, what: string, errors: Errors): readonly string[] {
  if (value === undefined) return [];
  if (value === null) {
    errors.push({ path, reason: nullReason(`a list of ${what} (or [])`) });
    return [];
  }
  return readStringList(value, path, what, errors) ?? [];
}

export const DEFAULT_BREAK_GLASS: BreakGlass = {
  annotation: DEFAULT_BREAK_GLASS_ANNOTATION,
  users: [],
  groups: [],
};

export function parseBreakGlass(value: unknown, path: string, errors: Errors): BreakGlass {
  if (value === undefined) return DEFAULT_BREAK_GLASS;
  if (!isPlainObject(value)) {
    errors.push({ path, reason: `expected {annotation, users: [...], groups: [...]}, not ${typeOf(value)}` });
    return DEFAULT_BREAK_GLASS;
  }
  checkKeys(value, ["annotation", "users", "groups"], path, errors);
  return {
    annotation:
      readAnnotation(field(value, "annotation"), keyPath(path, "annotation"), errors) ??
      DEFAULT_BREAK_GLASS_ANNOTATION,
    users: readNames(field(value, "users"), keyPath(path, "users"), "user names", errors),
    groups: readNames(field(value, "groups"), keyPath(path, "groups"), "group names", errors),
  };
}
