/**
 * Calico's canonical selector text, as produced by `collectFragments` in
 * `libcalico-go/lib/selector/parser/ast.go` (what `Selector.String()` / `selector.Normalise` return and
 * what the selector UID is hashed from):
 *
 * - `label == "v"`, ` != `, ` contains `, ` starts with `, ` ends with ` (the `startswith` spelling
 *   is never printed), `label in {"a", "b"}`, `label not in {}`;
 * - `has(label)`, `all()`, `global()`;
 * - negation is `!` glued to its operand with no parentheses of its own: `!a == "b"`, `!has(a)`,
 *   `!(a == "b" || c == "d")` (the parentheses there belong to the or-group);
 * - every and/or group, including the outermost one, is wrapped in parentheses;
 * - a value is quoted with `"` unless it contains `"`, in which case `'` is used. A value containing
 *   both quote characters cannot come from parsing; it is printed the same way Calico would and does
 *   not re-parse.
 *
 * Calico's form is not always a fixpoint: `!(!a == "b")` prints as `!!a == "b"`, which re-parses to
 * `a == "b"` because a run of `!` collapses. We reproduce that rather than "fixing" it, since the
 * canonical text must equal Calico's.
 */
import type { SelectorNode } from "./ast.js";

function quote(value: string): string {
  const q = value.includes('"') ? "'" : '"';
  return q + value + q;
}

function collect(node: SelectorNode, out: string[]): void {
  switch (node.kind) {
    case "all":
      out.push("all()");
      return;
    case "global":
      out.push("global()");
      return;
    case "has":
      out.push("has(", node.label, ")");
      return;
    case "compare":
      out.push(node.label, " ", node.op, " ", quote(node.value));
      return;
    case "in":
      out.push(node.label, node.negated ? " not in {" : " in {", node.values.map(quote).join(", "), "}");
      return;
    case "not":
      out.push("!");
      collect(node.operand, out);
      return;
    case "and":
    case "or": {
      // Calico never builds an empty group; print a semantically equal form rather than "()" so
      // that hand-built trees still produce parseable text.
      if (node.operands.length === 0) {
        out.push(node.kind === "and" ? "all()" : "!all()");
        return;
      }
      out.push("(");
      node.operands.forEach((operand, i) => {
        if (i > 0) out.push(node.kind === "and" ? " && " : " || ");
        collect(operand, out);
      });
      out.push(")");
      return;
    }
  }
}

export function printSelector(node: SelectorNode): string {
  const out: string[] = [];
  collect(node, out);
  return out.join("");
}
