import {
  globalPolicySelector,
  prefixLabels,
  rewriteNamespaceSelector,
  SERVICE_ACCOUNT_LABEL,
  SERVICE_ACCOUNT_LABEL_PREFIX,
} from "../calico/selector/index.js";
import type { SelectorNode } from "../calico/selector/ast.js";
import type { EntityRule, GlobalNetworkPolicy } from "../calico/types.js";

/**
 * Calico rewrites namespace and service-account selectors into plain label selectors before Felix
 * sees them, and the rewritten form decides whether a HostEndpoint or GlobalNetworkSet matches
 * (src/calico/selector/namespace.ts has the details and sources). Because HostEndpoints carry no
 * `pcns.*` labels, a GNP or rule with a namespaceSelector selects no HEP except through
 * absent-label quirks such as `x != 'y'` (calico-semantics §4, trap T7).
 */

/** Matches nothing: what Felix is left with when the combined selector cannot be parsed (it drops the policy). */
const NOTHING: SelectorNode = { kind: "not", operand: { kind: "all" } };

const policySelectors = new WeakMap<GlobalNetworkPolicy, SelectorNode>();

/** The selector Felix evaluates to decide which endpoints a GlobalNetworkPolicy applies to. */
export function policySelectorNode(policy: GlobalNetworkPolicy): SelectorNode {
  let node = policySelectors.get(policy);
  if (!node) {
    if (!policy.namespaceSelector && !policy.serviceAccountSelector) node = policy.selector.root;
    else {
      const combined = globalPolicySelector(
        policy.selector.source,
        policy.namespaceSelector?.source ?? "",
        policy.serviceAccountSelector?.source ?? "",
      );
      node = combined.ok ? combined.value.root : NOTHING;
    }
    policySelectors.set(policy, node);
  }
  return node;
}

function and(parts: readonly SelectorNode[]): SelectorNode {
  return parts.length === 1 ? parts[0]! : { kind: "and", operands: parts };
}

/**
 * The positive selector of a rule side, as libcalico-go/lib/backend/syncersv1/updateprocessors/rules.go
 * getEndpointSelector builds it: namespace part (rule context) AND service-account part AND
 * `selector`. Undefined when the side does not filter by selector: an empty `selector` with no
 * namespace selector and no service accounts is no filter (calico-semantics §6), unlike `all()`.
 */
export function ruleSelectorNode(side: EntityRule): SelectorNode | undefined {
  const parts: SelectorNode[] = [];
  if (side.namespaceSelector) parts.push(rewriteNamespaceSelector(side.namespaceSelector.root, "rule"));
  const sa = side.serviceAccounts;
  if (sa && (sa.selector || sa.names.length > 0)) {
    // rules.go parseServiceAccounts: `pcsa.`-prefixed selector AND serviceaccount in {names}.
    const saParts: SelectorNode[] = [];
    if (sa.selector) saParts.push(prefixLabels(sa.selector.root, SERVICE_ACCOUNT_LABEL_PREFIX));
    if (sa.names.length > 0) {
      saParts.push({
        kind: "in",
        negated: false,
        label: SERVICE_ACCOUNT_LABEL,
        values: [...new Set(sa.names)].sort(),
      });
    }
    parts.push(and(saParts));
  }
  if (side.selector) parts.push(side.selector.root);
  return parts.length === 0 ? undefined : and(parts);
}

/** notSelector is used as written: Calico does not scope it (rules.go NotSrcSelector). */
export function notSelectorNode(side: EntityRule): SelectorNode | undefined {
  return side.notSelector?.root;
}
