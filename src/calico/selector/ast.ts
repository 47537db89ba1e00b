/**
 * The AST of Calico's label-selector language (calico-semantics §1; libcalico-go/lib/selector/parser/ast.go).
 * Plain data: the evaluator and the canonical printer are separate modules.
 */
export type CompareOp = "==" | "!=" | "contains" | "starts with" | "ends with";

export type SelectorNode =
  | { readonly kind: "all" }
  | { readonly kind: "global" }
  | { readonly kind: "has"; readonly label: string }
  | { readonly kind: "compare"; readonly op: CompareOp; readonly label: string; readonly value: string }
  | {
      readonly kind: "in";
      readonly negated: boolean;
      readonly label: string;
      /** sorted and de-duplicated, as Calico's normaliser keeps them */
      readonly values: readonly string[];
    }
  | { readonly kind: "not"; readonly operand: SelectorNode }
  | { readonly kind: "and"; readonly operands: readonly SelectorNode[] }
  | { readonly kind: "or"; readonly operands: readonly SelectorNode[] };

/** A parsed selector: the text as written, its AST and Calico's canonical form of it. */
export interface Selector {
  readonly source: string;
  readonly root: SelectorNode;
  readonly canonical: string;
}

/** Label maps are Maps, never plain objects: a label named `constructor` must not find Object.prototype. */
export type Labels = ReadonlyMap<string, string>;

/** A parse failure: the character offset (0-based, into the source text) and a one-line reason. */
export interface SelectorError {
  readonly offset: number;
  readonly reason: string;
}
