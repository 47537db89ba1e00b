/**
 * Scanner for Calico's selector language, mirroring the hand-written tokenizer Calico has used since
 * v3.30 (`libcalico-go/lib/selector/tokenizer/tokenizer.go`; v3.29 and earlier used regular expressions
 * that also accepted newlines inside `has( x )`, `not  in` etc.). Calico works on bytes, we work on
 * UTF-16 code units: every character that is significant to the grammar is ASCII, so the two agree on
 * what is accepted, and our offsets are JavaScript string indices (equal to byte offsets for ASCII).
 *
 * The whole input is scanned before parsing starts, as Calico does, so a scanner error later in the
 * text wins over a grammar error earlier in it.
 */
import { err, ok, type Result } from "../result.js";
import type { SelectorError } from "./ast.js";

export type TokenKind =
  | "label"
  | "string"
  | "lbrace"
  | "rbrace"
  | "comma"
  | "eq"
  | "ne"
  | "in"
  | "not"
  | "notin"
  | "contains"
  | "startswith"
  | "endswith"
  | "all"
  | "has"
  | "global"
  | "lparen"
  | "rparen"
  | "and"
  | "or"
  | "eof";

export interface Token {
  readonly kind: TokenKind;
  /** the label name for `label` and `has`, the unquoted text for `string`, otherwise "" */
  readonly value: string;
  /** offset of the token's first character in the source */
  readonly offset: number;
}

/** `MaxLabelLength` in tokenizer.go: longer keys are a tokenizer error. */
export const MAX_LABEL_LENGTH = 512;

const SPACE = 0x20;
const TAB = 0x09;

/** Calico's `identifierChar`: `[A-Za-z0-9_./-]`. Anything else, including all non-ASCII, ends a label. */
export function isLabelChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x5f || // _
    c === 0x2e || // .
    c === 0x2f || // /
    c === 0x2d // -
  );
}

/** True when `label` is a complete, valid label key (what Calico's `tokenizer.ValidLabel` accepts). */
export function isValidLabel(label: string): boolean {
  if (label.length === 0 || label.length > MAX_LABEL_LENGTH) return false;
  for (let i = 0; i < label.length; i++) if (!isLabelChar(label.charCodeAt(i))) return false;
  return true;
}

/** A short, single-line rendering of one source character for error messages. */
export function describeChar(source: string, at: number): string {
  const cp = source.codePointAt(at) ?? 0;
  if (cp > 0x20 && cp < 0x7f) return JSON.stringify(String.fromCodePoint(cp));
  return `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
}

function fail(offset: number, what: string): { readonly ok: false; readonly error: SelectorError } {
  return err({ offset, reason: `${what} at offset ${offset}` });
}

/** Scans `source` into tokens ending with one `eof` token, or returns the first scanner error. */
export function tokenize(source: string): Result<Token[], SelectorError> {
  const tokens: Token[] = [];
  const n = source.length;
  let pos = 0;

  // Calico's trimWhitespace: only space and tab. A newline, CR or any other Unicode space is not
  // skipped and then fails as an unexpected character.
  const skipSpace = (from: number): number => {
    let i = from;
    while (i < n) {
      const c = source.charCodeAt(i);
      if (c !== SPACE && c !== TAB) break;
      i++;
    }
    return i;
  };
  const startsWithAt = (word: string, at: number): boolean => source.startsWith(word, at);
  // Calico's isWordBoundary: end of input, or any character that cannot continue a label.
  const boundaryAt = (at: number): boolean => at >= n || !isLabelChar(source.charCodeAt(at));
  const labelEnd = (from: number): number => {
    let i = from;
    while (i < n && isLabelChar(source.charCodeAt(i))) i++;
    return i;
  };

  for (;;) {
    pos = skipSpace(pos);
    if (pos >= n) {
      tokens.push({ kind: "eof", value: "", offset: n });
      return ok(tokens);
    }
    const start = pos;
    const c = source[pos];
    const simple = (kind: TokenKind, width: number): void => {
      tokens.push({ kind, value: "", offset: start });
      pos += width;
    };
    switch (c) {
      case "(":
        simple("lparen", 1);
        continue;
      case ")":
        simple("rparen", 1);
        continue;
      case "{":
        simple("lbrace", 1);
        continue;
      case "}":
        simple("rbrace", 1);
        continue;
      case ",":
        simple("comma", 1);
        continue;
      case '"':
      case "'": {
        // No escapes: the string runs to the next quote of the same kind (strings.Index in Calico).
        const close = source.indexOf(c, pos + 1);
        if (close === -1) return fail(start, `unterminated string starting with ${c}`);
        tokens.push({ kind: "string", value: source.slice(pos + 1, close), offset: start });
        pos = close + 1;
        continue;
      }
      case "=":
        if (source[pos + 1] !== "=") return fail(start, `expected "==" but found a single "="`);
        simple("eq", 2);
        continue;
      case "!":
        // "!=" is taken greedily, so `a!='x'` is not-equal and `!=` can never mean "not" + "=".
        if (source[pos + 1] === "=") simple("ne", 2);
        else simple("not", 1);
        continue;
      case "&":
        if (source[pos + 1] !== "&") return fail(start, `expected "&&" but found a single "&"`);
        simple("and", 2);
        continue;
      case "|":
        if (source[pos + 1] !== "|") return fail(start, `expected "||" but found a single "|"`);
        simple("or", 2);
        continue;
      default:
        break;
    }

    const last = tokens.length > 0 ? tokens[tokens.length - 1] : undefined;
    if (last?.kind === "label") {
      // Right after a label only an operator may follow; this is what lets a label be named like a
      // keyword (`contains contains "contains"`, `in in {}`, `not not in {}`).
      const op = scanOperator(pos);
      if (op === undefined) {
        return fail(start, `expected an operator after label ${quoteShort(last.value)}`);
      }
      tokens.push({ kind: op.kind, value: "", offset: start });
      pos = op.end;
      continue;
    }

    if (startsWithAt("has(", pos)) {
      // `has(` must be written without a space before "("; spaces and tabs are allowed inside.
      const labelStart = skipSpace(pos + 4);
      const end = labelEnd(labelStart);
      if (end === labelStart) {
        return fail(labelStart, `expected a label name inside "has("`);
      }
      if (end - labelStart > MAX_LABEL_LENGTH) return tooLong(labelStart, end - labelStart);
      const close = skipSpace(end);
      if (source[close] !== ")") return fail(close, `expected ")" to close "has("`);
      tokens.push({ kind: "has", value: source.slice(labelStart, end), offset: start });
      pos = close + 1;
      continue;
    }
    if (startsWithAt("all(", pos) || startsWithAt("global(", pos)) {
      const isAll = source[pos] === "a";
      const close = skipSpace(pos + (isAll ? 4 : 7));
      if (source[close] !== ")") return fail(close, `expected ")" to close "${isAll ? "all(" : "global("}"`);
      tokens.push({ kind: isAll ? "all" : "global", value: "", offset: start });
      pos = close + 1;
      continue;
    }
    const end = labelEnd(pos);
    if (end === pos) return fail(start, `unexpected character ${describeChar(source, pos)}`);
    if (end - pos > MAX_LABEL_LENGTH) return tooLong(pos, end - pos);
    tokens.push({ kind: "label", value: source.slice(pos, end), offset: start });
    pos = end;
  }

  // Operators after a label, in Calico's order. Multi-word operators accept any run of spaces/tabs
  // (including none: `startswith`, `notin`) between the words. Calico's cutMultiWordPrefixCheckBreak
  // also skips the spaces after the last word before its word-boundary check, so `a not in x` fails
  // here in the scanner, while single-word `a in x` fails later in the parser; we keep that split.
  function scanOperator(at: number): { kind: TokenKind; end: number } | undefined {
    const words = (list: readonly string[]): number | undefined => {
      let i = at;
      for (const word of list) {
        if (!startsWithAt(word, i)) return undefined;
        i += word.length;
        // cutMultiWordPrefixCheckBreak trims after every word; cutPrefixCheckBreak (single word) does not.
        if (list.length > 1) i = skipSpace(i);
      }
      return boundaryAt(i) ? i : undefined;
    };
    const table: readonly (readonly [TokenKind, readonly string[]])[] = [
      ["contains", ["contains"]],
      ["startswith", ["starts", "with"]],
      ["endswith", ["ends", "with"]],
      ["notin", ["not", "in"]],
      ["in", ["in"]],
    ];
    for (const [kind, list] of table) {
      const end = words(list);
      if (end !== undefined) return { kind, end };
    }
    return undefined;
  }

  function tooLong(at: number, length: number): { readonly ok: false; readonly error: SelectorError } {
    return fail(at, `label of ${length} characters is longer than the maximum of ${MAX_LABEL_LENGTH}`);
  }
}

/** A label or string value for an error message: quoted, escaped onto one line, and shortened. */
export function quoteShort(text: string): string {
  const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  return JSON.stringify(shown);
}
