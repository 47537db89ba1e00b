/**
 * What Calico's update processors do to namespace selectors before Felix sees a policy.
 *
 * Sources (calico monorepo):
 * - `libcalico-go/lib/backend/syncersv1/updateprocessors/selectors.go`: `parseSelectorAttachPrefix`
 *   parses the selector, runs `parser.PrefixVisitor` over it (every label key k in ==, !=, contains,
 *   starts with, ends with, in, not in and has() becomes `<prefix>k`; all() and global() are left
 *   alone) and prints the canonical text. `prefixAndAppendSelector` then builds `(<selector>) && <that>`.
 * - `.../updateprocessors/globalnetworkpolicyprocessor.go`: for a GlobalNetworkPolicy with a
 *   namespaceSelector, `strings.Replace(selector, "all()", "has(projectcalico.org/namespace)", -1)` is
 *   applied to the WHOLE combined text, i.e. also to the policy's own `selector` as the user wrote it;
 *   then the same again for serviceAccountSelector with `pcsa.` and
 *   `has(projectcalico.org/serviceaccount)`. Covered by `globalnetworkpolicyprocessor_test.go`.
 * - `.../updateprocessors/rules.go` `getEndpointSelector`: for a rule's namespaceSelector the
 *   replacement is applied to the prefixed namespace selector only, and there `global()` additionally
 *   becomes `!has(projectcalico.org/namespace)`.
 *
 * The replacement is textual, so an `all()` inside a quoted value is rewritten too
 * (`name == "all()"` becomes `pcns.name == "has(projectcalico.org/namespace)"`), and Felix re-parses
 * the result (collapsing `!!`, re-sorting sets). We mirror all of that.
 */
import { ok, type Result } from "../result.js";
import type { Selector, SelectorError, SelectorNode } from "./ast.js";
import { normaliseSet, parse } from "./parser.js";
import { printSelector } from "./print.js";

/** `conversion.NamespaceLabelPrefix` (libcalico-go/lib/backend/k8s/conversion/constants.go). */
export const NAMESPACE_LABEL_PREFIX = "pcns.";
/** `conversion.ServiceAccountLabelPrefix`. */
export const SERVICE_ACCOUNT_LABEL_PREFIX = "pcsa.";
/** `apiv3.LabelNamespace`: set on every workload endpoint and network set, never on a HostEndpoint. */
export const NAMESPACE_LABEL = "projectcalico.org/namespace";
/** `apiv3.LabelServiceAccount`. */
export const SERVICE_ACCOUNT_LABEL = "projectcalico.org/serviceaccount";

const HAS_NAMESPACE = `has(${NAMESPACE_LABEL})`;
const NOT_HAS_NAMESPACE = `!has(${NAMESPACE_LABEL})`;
const HAS_SERVICE_ACCOUNT = `has(${SERVICE_ACCOUNT_LABEL})`;

/**
 * Where the namespace selector comes from. `"policy"`: a GlobalNetworkPolicy's `spec.namespaceSelector`
 * (global() is left as is; Calico's validator rejects it there anyway). `"rule"`: a rule's
 * `source/destination.namespaceSelector`, where global() means "no namespace".
 */
export type NamespaceSelectorContext = "policy" | "rule";

/** Calico's PrefixVisitor: prefixes every label key; all(), global() and the tree shape are kept. */
export function prefixLabels(node: SelectorNode, prefix: string): SelectorNode {
  switch (node.kind) {
    case "all":
    case "global":
      return node;
    case "has":
    case "compare":
    case "in":
      return { ...node, label: prefix + node.label };
    case "not":
      return { kind: "not", operand: prefixLabels(node.operand, prefix) };
    case "and":
    case "or":
      return { kind: node.kind, operands: node.operands.map((o) => prefixLabels(o, prefix)) };
  }
}

function replaceInValues(node: SelectorNode, replace: (text: string) => string): SelectorNode {
  switch (node.kind) {
    case "all":
    case "global":
    case "has":
      return node;
    case "compare":
      return { ...node, value: replace(node.value) };
    case "in":
      return { ...node, values: normaliseSet(node.values.map(replace)) };
    case "not":
      return { kind: "not", operand: replaceInValues(node.operand, replace) };
    case "and":
    case "or":
      return { kind: node.kind, operands: node.operands.map((o) => replaceInValues(o, replace)) };
  }
}

function replaceScopeNodes(node: SelectorNode, context: NamespaceSelectorContext): SelectorNode {
  switch (node.kind) {
    case "all":
      return { kind: "has", label: NAMESPACE_LABEL };
    case "global":
      return context === "rule" ? { kind: "not", operand: { kind: "has", label: NAMESPACE_LABEL } } : node;
    case "has":
    case "compare":
    case "in":
      return node;
    case "not":
      return { kind: "not", operand: replaceScopeNodes(node.operand, context) };
    case "and":
    case "or":
      return { kind: node.kind, operands: node.operands.map((o) => replaceScopeNodes(o, context)) };
  }
}

/**
 * The namespace selector as Felix ends up evaluating it against endpoint labels: keys prefixed with
 * `pcns.`, all() turned into `has(projectcalico.org/namespace)` (and, for rules, global() into
 * `!has(projectcalico.org/namespace)`), including inside quoted values, then re-parsed.
 * Only call it for a namespaceSelector that is set: Calico treats the empty string as "not set"
 * (no rewriting at all), although it parses to all().
 *
 * A HostEndpoint has neither `pcns.*` labels nor `projectcalico.org/namespace`, so the result can only
 * match it through absent-label operators (`!=`, `not in`, `!`). For a GNP, combine with the policy's
 * selector via `globalPolicySelector`, not by AND-ing nodes yourself: Calico's replacement also hits an
 * `all()` written in the policy's own selector.
 */
export function rewriteNamespaceSelector(
  node: SelectorNode,
  context: NamespaceSelectorContext = "policy",
): SelectorNode {
  const replaceText = (text: string): string => {
    const once = text.replaceAll("all()", HAS_NAMESPACE);
    return context === "rule" ? once.replaceAll("global()", NOT_HAS_NAMESPACE) : once;
  };
  const rewritten = replaceScopeNodes(
    replaceInValues(prefixLabels(node, NAMESPACE_LABEL_PREFIX), replaceText),
    context,
  );
  // Felix parses the rewritten text again; doing the same gives its exact tree (e.g. `!global()` in a
  // rule becomes `!!has(...)`, which collapses to `has(...)`). Re-parsing fails only if a prefixed key
  // exceeds 512 characters, where Felix's parse fails too; keep the structural result then.
  const reparsed = parse(printSelector(rewritten));
  return reparsed.ok ? reparsed.value : rewritten;
}

function parseToSelector(source: string): Result<Selector, SelectorError> {
  const root = parse(source);
  if (!root.ok) return root;
  return ok({ source, root: root.value, canonical: printSelector(root.value) });
}

function prefixAndAppend(current: string, added: string, prefix: string): string {
  if (added === "") return current;
  const parsed = parse(added);
  // Calico logs and drops an unparseable namespace/service-account selector (the validator has
  // normally rejected it before it is stored).
  if (!parsed.ok) return current;
  const prefixed = printSelector(prefixLabels(parsed.value, prefix));
  return current === "" ? prefixed : `(${current}) && ${prefixed}`;
}

/**
 * The selector Felix evaluates for a GlobalNetworkPolicy, built exactly as
 * `convertGlobalNetworkPolicyV2ToV1Value` does from the policy's `selector`, `namespaceSelector` and
 * `serviceAccountSelector` texts. Returns an error only when the combined text does not parse
 * (an individually invalid selector, or a prefixed key longer than 512 characters); Felix's
 * validation of the resulting v1 policy would fail in that case too (derived).
 *
 * Example of why this matters: `selector: all()` with `namespaceSelector: x != 'y'` becomes
 * `(has(projectcalico.org/namespace)) && pcns.x != "y"`, which never matches a HostEndpoint,
 * whereas `selector: ""` with the same namespaceSelector becomes `pcns.x != "y"`, which matches every
 * HostEndpoint.
 */
export function globalPolicySelector(
  selector: string,
  namespaceSelector: string,
  serviceAccountSelector = "",
): Result<Selector, SelectorError> {
  let combined = selector;
  if (namespaceSelector !== "") {
    combined = prefixAndAppend(combined, namespaceSelector, NAMESPACE_LABEL_PREFIX).replaceAll(
      "all()",
      HAS_NAMESPACE,
    );
  }
  if (serviceAccountSelector !== "") {
    combined = prefixAndAppend(combined, serviceAccountSelector, SERVICE_ACCOUNT_LABEL_PREFIX).replaceAll(
      "all()",
      HAS_SERVICE_ACCOUNT,
    );
  }
  return parseToSelector(combined);
}
