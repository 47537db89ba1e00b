/**
 * Recursive-descent parser for Calico selectors, building the same tree shapes as Calico's
 * `libcalico-go/lib/selector/parser/parser.go` so that the canonical form printed from it matches
 * Calico's byte for byte:
 *
 * - `a && b && c` is one and-node with three operands (Calico's parseAndExpression collects operands
 *   in a loop), but `(a && b) && c` keeps the inner group as its own and-node; the same for `||`.
 * - A single operand is returned bare, so `((a == "x"))` is just the comparison.
 * - A run of `!` collapses to one negation or none (parseOperation toggles a flag), while `!(!x)`
 *   keeps both negations because the inner one belongs to the parenthesised expression.
 * - `in` / `not in` sets are sorted and de-duplicated (ConvertToStringSetInPlace).
 *
 * The one deliberate difference: Calico recurses without a limit; we reject more than
 * MAX_NESTING_DEPTH nested parentheses so that hostile input cannot exhaust the stack.
 */
import { err, ok, type Result } from "../result.js";
import type { CompareOp, SelectorError, SelectorNode } from "./ast.js";
import { quoteShort, tokenize, type Token, type TokenKind } from "./tokenizer.js";

/** Deepest accepted nesting of parentheses; runs of `!` collapse and do not count. */
export const MAX_NESTING_DEPTH = 100;

class ParseFailure {
  constructor(readonly error: SelectorError) {}
}

const COMPARE_OPS: Partial<Record<TokenKind, CompareOp>> = {
  eq: "==",
  ne: "!=",
  contains: "contains",
  startswith: "starts with",
  endswith: "ends with",
};

const TOKEN_TEXT: Record<TokenKind, string> = {
  label: "label",
  string: "string",
  lbrace: '"{"',
  rbrace: '"}"',
  comma: '","',
  eq: '"=="',
  ne: '"!="',
  in: '"in"',
  not: '"!"',
  notin: '"not in"',
  contains: '"contains"',
  startswith: '"starts with"',
  endswith: '"ends with"',
  all: '"all()"',
  has: '"has()"',
  global: '"global()"',
  lparen: '"("',
  rparen: '")"',
  and: '"&&"',
  or: '"||"',
  eof: "the end of the selector",
};

function describe(tok: Token): string {
  switch (tok.kind) {
    case "label":
      return `label ${quoteShort(tok.value)}`;
    case "string":
      return `string ${quoteShort(tok.value)}`;
    case "has":
      return `has(${tok.value.length > 40 ? `${tok.value.slice(0, 40)}…` : tok.value})`;
    default:
      return TOKEN_TEXT[tok.kind];
  }
}

/** Sorts by code point, which is the UTF-8 byte order Go's string comparison uses, and de-duplicates. */
export function normaliseSet(values: readonly string[]): string[] {
  const sorted = [...values].sort(compareCodePoints);
  const out: string[] = [];
  for (const v of sorted) if (out.length === 0 || out[out.length - 1] !== v) out.push(v);
  return out;
}

/** Code-point order (== UTF-8 byte order); plain `<` on JS strings is UTF-16 order and differs above U+FFFF. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Only when both are in different surrogate/non-surrogate classes does UTF-16 order disagree with
    // code-point order: a surrogate (U+10000 and up) must sort after U+E000..U+FFFF.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys && (xs ? y >= 0xe000 : x >= 0xe000)) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** Parses selector text into an AST. Never throws. */
export function parse(source: string): Result<SelectorNode, SelectorError> {
  const scanned = tokenize(source);
  if (!scanned.ok) return scanned;
  const tokens = scanned.value;
  let pos = 0;
  let depth = 0;

  const peek = (): Token => tokens[pos] as Token; // the eof token is never consumed
  const failAt = (tok: Token, what: string): never => {
    throw new ParseFailure({ offset: tok.offset, reason: `${what} at offset ${tok.offset}` });
  };

  function parseOr(): SelectorNode {
    const operands = [parseAnd()];
    while (peek().kind === "or") {
      pos++;
      operands.push(parseAnd());
    }
    return operands.length === 1 ? (operands[0] as SelectorNode) : { kind: "or", operands };
  }

  function parseAnd(): SelectorNode {
    const operands = [parseUnary()];
    while (peek().kind === "and") {
      pos++;
      operands.push(parseUnary());
    }
    return operands.length === 1 ? (operands[0] as SelectorNode) : { kind: "and", operands };
  }

  function parseUnary(): SelectorNode {
    let negated = false;
    while (peek().kind === "not") {
      negated = !negated;
      pos++;
    }
    const node = parsePrimary();
    return negated ? { kind: "not", operand: node } : node;
  }

  function parsePrimary(): SelectorNode {
    const tok = peek();
    switch (tok.kind) {
      case "has":
        pos++;
        return { kind: "has", label: tok.value };
      case "all":
        pos++;
        return { kind: "all" };
      case "global":
        pos++;
        return { kind: "global" };
      case "label":
        pos++;
        return parseLabelOperation(tok);
      case "lparen": {
        if (depth >= MAX_NESTING_DEPTH) {
          failAt(tok, `selector nests parentheses deeper than ${MAX_NESTING_DEPTH} levels`);
        }
        depth++;
        pos++;
        const inner = parseOr();
        const close = peek();
        if (close.kind !== "rparen") failAt(close, `expected ")" but found ${describe(close)}`);
        pos++;
        depth--;
        return inner;
      }
      default:
        return failAt(tok, `expected a label, has(), all(), global(), "!" or "(" but found ${describe(tok)}`);
    }
  }

  function parseLabelOperation(label: Token): SelectorNode {
    const opTok = peek();
    const op = COMPARE_OPS[opTok.kind];
    if (op !== undefined) {
      pos++;
      const value = peek();
      if (value.kind !== "string") {
        failAt(
          value,
          `expected a quoted string after ${TOKEN_TEXT[opTok.kind]} but found ${describe(value)}`,
        );
      }
      pos++;
      return { kind: "compare", op, label: label.value, value: value.value };
    }
    if (opTok.kind === "in" || opTok.kind === "notin") {
      pos++;
      const open = peek();
      if (open.kind !== "lbrace") {
        failAt(open, `expected "{" after ${TOKEN_TEXT[opTok.kind]} but found ${describe(open)}`);
      }
      pos++;
      // Calico's loop: string, then either "," (and maybe another string) or the end of the list.
      // That admits `{}` and a trailing comma `{"a",}` but not `{,}`.
      const values: string[] = [];
      while (peek().kind === "string") {
        values.push(peek().value);
        pos++;
        if (peek().kind !== "comma") break;
        pos++;
      }
      const close = peek();
      if (close.kind !== "rbrace") {
        failAt(close, `expected a quoted string or "}" in set but found ${describe(close)}`);
      }
      pos++;
      return {
        kind: "in",
        negated: opTok.kind === "notin",
        label: label.value,
        values: normaliseSet(values),
      };
    }
    return failAt(
      opTok,
      `expected an operator after label ${quoteShort(label.value)} but found ${describe(opTok)}`,
    );
  }

  if (peek().kind === "eof") return ok({ kind: "all" });
  try {
    const root = parseOr();
    const rest = peek();
    if (rest.kind !== "eof") failAt(rest, `unexpected ${describe(rest)} after a complete selector`);
    return ok(root);
  } catch (e) {
    if (e instanceof ParseFailure) return err(e.error);
    throw e;
  }
}
