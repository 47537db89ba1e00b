/**
 * Name, label and annotation syntax: Calico's name regexes (libcalico-go/lib/validator/v3/validator.go,
 * `nameLabelFmt` / `nameSubdomainFmt` and the per-kind regexes) and the Kubernetes rules they delegate to
 * (k8s.io/apimachinery/pkg/util/validation: IsQualifiedName, IsValidLabelValue, IsDNS1123Label).
 */

/** DNS-1123 label: lower-case alphanumerics and '-', starting and ending alphanumeric. */
const LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";

/** validator.go `nameRegex`: DNS-1123 subdomain syntax (the length is checked separately). */
export const NAME_REGEX = new RegExp(`^${LABEL}(\\.${LABEL})*$`);

/** validator.go `tierNameRegex`: a DNS-1123 label, no dots (tier names are parts of other names). */
export const TIER_NAME_REGEX = new RegExp(`^${LABEL}$`);

/** validator.go `globalNetworkPolicyNameRegex`: a DNS-1123 label, optionally with one `<label>.` prefix. */
export const GNP_NAME_REGEX = new RegExp(`^(${LABEL}\\.)?${LABEL}$`);

/** validator.go `interfaceRegex` (used by `validateInterface`, which also allows "*"). */
export const INTERFACE_REGEX = /^[a-zA-Z0-9_.-]{1,15}$/;

/** k8s DNS1123SubdomainMaxLength, the limit validateObjectMeta applies to every name. */
export const MAX_NAME_LENGTH = 253;
/** k8s DNS1123LabelMaxLength, the limit validateTier applies to tier names. */
export const MAX_LABEL_NAME_LENGTH = 63;

/** Why `name` is not a DNS-1123 subdomain usable as a Calico resource name, or undefined. */
export function subdomainNameProblem(name: string): string | undefined {
  if (name.length > MAX_NAME_LENGTH) {
    return `is ${name.length} characters long; names may have at most ${MAX_NAME_LENGTH}`;
  }
  if (!NAME_REGEX.test(name)) {
    return "must consist of lower-case alphanumerics, '-' and '.', each dot-separated part starting and ending with an alphanumeric";
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Kubernetes label keys and values (k8s.io/apimachinery/pkg/util/validation)

const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Why `key` is not a Kubernetes qualified name (`[prefix/]name`), or undefined (IsQualifiedName). */
export function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split("/");
  let name: string;
  if (parts.length === 1) {
    name = key;
  } else if (parts.length === 2) {
    const prefix = parts[0] ?? "";
    name = parts[1] ?? "";
    if (prefix === "") return "has an empty prefix before '/'";
    if (prefix.length > MAX_NAME_LENGTH || !NAME_REGEX.test(prefix)) {
      return `has prefix ${JSON.stringify(prefix)}, which is not a DNS-1123 subdomain (lower-case alphanumerics, '-', '.')`;
    }
  } else {
    return "may contain at most one '/' (an optional DNS prefix, then the name)";
  }
  if (name === "") return "has an empty name part";
  if (name.length > 63) return `has a name part of ${name.length} characters; at most 63 are allowed`;
  if (!QUALIFIED_NAME_PART.test(name)) {
    return "name part must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric";
  }
  return undefined;
}

/** Why `value` is not a valid Kubernetes label value, or undefined (IsValidLabelValue). */
export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63) return `is ${value.length} characters long; label values may have at most 63`;
  if (!LABEL_VALUE.test(value)) {
    return "must be empty or alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric";
  }
  return undefined;
}

/** validator.go `totalAnnotationSizeLimitB`: keys plus values of all annotations, 256 KiB. */
export const MAX_ANNOTATIONS_SIZE = 256 * 1024;

/** UTF-8 byte length, as Go's len() counts a string. */
export function byteLength(text: string): number {
  return Buffer.byteLength(text, "utf8");
}
