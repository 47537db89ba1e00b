/**
 * Calico's label-selector language (calico-semantics §1): parse, evaluate, print canonically, and
 * the namespace-selector rewriting the update processors apply before Felix sees a policy.
 */
import { err, ok, type Result } from "../result.js";
import type { Labels, Selector, SelectorError } from "./ast.js";
import { evaluateSelector } from "./evaluate.js";
import { parse } from "./parser.js";
import { printSelector } from "./print.js";

export type { CompareOp, Labels, Selector, SelectorError, SelectorNode } from "./ast.js";
export { evaluateSelector } from "./evaluate.js";
export { printSelector } from "./print.js";
export { MAX_NESTING_DEPTH } from "./parser.js";
export { MAX_LABEL_LENGTH, isValidLabel } from "./tokenizer.js";
export {
  NAMESPACE_LABEL,
  NAMESPACE_LABEL_PREFIX,
  SERVICE_ACCOUNT_LABEL,
  SERVICE_ACCOUNT_LABEL_PREFIX,
  globalPolicySelector,
  prefixLabels,
  rewriteNamespaceSelector,
  type NamespaceSelectorContext,
} from "./namespace.js";

/**
 * Parses selector text the way Calico's `parser.Parse` does (empty or blank text is all()).
 * Never throws: every failure, including ones we did not foresee, becomes a SelectorError.
 */
export function parseSelector(text: string): Result<Selector, SelectorError> {
  if (typeof text !== "string") return err({ offset: 0, reason: "selector is not a string at offset 0" });
  try {
    const root = parse(text);
    if (!root.ok) return root;
    return ok({ source: text, root: root.value, canonical: printSelector(root.value) });
  } catch (e) {
    // Defence in depth for an admission webhook: a bug here must turn into a rejection with a
    // message, never into an exception that takes the request handler down.
    const detail = e instanceof Error ? e.message.split("\n")[0] : String(e);
    return err({ offset: 0, reason: `internal error while parsing the selector (${detail}) at offset 0` });
  }
}

export function selectorMatches(selector: Selector, labels: Labels): boolean {
  return evaluateSelector(selector.root, labels);
}

/**
 * Labels from a Kubernetes-style `metadata.labels` object. Only string values are kept; the result is
 * a Map so that keys such as `constructor` or `__proto__` are ordinary labels.
 */
export function labelsFromRecord(record: Record<string, unknown> | undefined): Labels {
  const labels = new Map<string, string>();
  if (record === undefined || record === null || typeof record !== "object") return labels;
  for (const [key, value] of Object.entries(record)) {
    if (typeof value === "string") labels.set(key, value);
  }
  return labels;
}
