/**
 * Evaluation of a selector against one label map, per Calico's `Evaluate` methods in
 * `libcalico-go/lib/selector/parser/ast.go` (calico-semantics §1.2).
 *
 * The absent-label rules are the important part: `!=` and `not in` are true when the label is
 * missing, everything else that names a label is false. Comparisons are exact and case-sensitive
 * (Go string equality, strings.Contains/HasPrefix/HasSuffix); for well-formed Unicode, substring tests
 * on UTF-16 give the same answers as Go's byte-wise tests on UTF-8.
 *
 * Recursion depth is bounded by the parser's nesting limit (MAX_NESTING_DEPTH), which is the only
 * way selectors reach us from user input.
 */
import type { Labels, SelectorNode } from "./ast.js";

export function evaluateSelector(node: SelectorNode, labels: Labels): boolean {
  switch (node.kind) {
    case "all":
    case "global":
      // GlobalNode.Evaluate is unconditionally true; global() only has meaning as a scope marker
      // that the update processors rewrite before Felix evaluates anything.
      return true;
    case "has":
      // Present with an empty value still counts as present.
      return labels.has(node.label);
    case "compare": {
      const value = labels.get(node.label);
      if (value === undefined) return node.op === "!=";
      switch (node.op) {
        case "==":
          return value === node.value;
        case "!=":
          return value !== node.value;
        case "contains":
          return value.includes(node.value);
        case "starts with":
          return value.startsWith(node.value);
        case "ends with":
          return value.endsWith(node.value);
      }
      // Unreachable for well-typed input; a node with an unknown operator matches nothing.
      return false;
    }
    case "in": {
      const value = labels.get(node.label);
      if (value === undefined) return node.negated;
      return node.values.includes(value) !== node.negated;
    }
    case "not":
      return !evaluateSelector(node.operand, labels);
    case "and":
      for (const operand of node.operands) if (!evaluateSelector(operand, labels)) return false;
      return true;
    case "or":
      for (const operand of node.operands) if (evaluateSelector(operand, labels)) return true;
      return false;
  }
}
