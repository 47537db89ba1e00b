// Parsing, rejection and canonical form. Most cases are taken from Calico's own test tables
// (libcalico-go/lib/selector/parser/parser_test.go goodSelectors/badSelectors/canonicalisationTests,
// libcalico-go/lib/selector/tokenizer/tokenizer_test.go) and from calico-semantics §1.1/§1.3.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MAX_NESTING_DEPTH, parseSelector, printSelector } from "../../../src/calico/selector/index.js";

function mustParse(text: string) {
  const result = parseSelector(text);
  if (!result.ok) assert.fail(`expected ${JSON.stringify(text)} to parse, got ${result.error.reason}`);
  return result.value;
}

const label512 = "k".repeat(512);
const label513 = "k".repeat(513);

// input -> canonical form
const valid: readonly (readonly [string, string])[] = [
  // tokenizer_test.go
  [`a=="b"`, `a == "b"`],
  [`label == "value"`, `label == "value"`],
  [`label contains "value"`, `label contains "value"`],
  [`contains contains "contains"`, `contains contains "contains"`],
  [`contains contains 'contains'`, `contains contains "contains"`],
  [`label contains"value"`, `label contains "value"`],
  [`label startswith "value"`, `label starts with "value"`],
  [`label endswith "value"`, `label ends with "value"`],
  [`label starts with "value"`, `label starts with "value"`],
  [`startswith starts with "value"`, `startswith starts with "value"`],
  [`label ends with "value"`, `label ends with "value"`],
  [`endswith ends with "value"`, `endswith ends with "value"`],
  [`label starts  with "value"`, `label starts with "value"`],
  [`label ends \t with "value"`, `label ends with "value"`],
  [`has(calico/k8s_ns)`, `has(calico/k8s_ns)`],
  [`has(calico/k8s_NS-.1/role)`, `has(calico/k8s_NS-.1/role)`],
  [
    `calico/k8s_ns == "kube-system" && k8s-app == "kube-dns"`,
    `(calico/k8s_ns == "kube-system" && k8s-app == "kube-dns")`,
  ],
  [
    `a  not  in  {"bar"}  &&  ! has( foo )  ||  b  in  {"c"} `,
    `((a not in {"bar"} && !has(foo)) || b in {"c"})`,
  ],
  [`a notin{"bar"}&&!has(foo)||b in{"c"}`, `((a not in {"bar"} && !has(foo)) || b in {"c"})`],
  [`a not in {}`, `a not in {}`],
  [`a not in {"a","B"}`, `a not in {"B", "a"}`],
  [`global()`, `global()`],
  [`all()`, `all()`],
  // whitespace: only space and tab, anywhere between tokens and inside has( ), all( ), global( )
  ["\t a == 'b' \t", `a == "b"`],
  [`has(\t a \t)`, `has(a)`],
  [`all(  )`, `all()`],
  [`global(\t)`, `global()`],
  ["   ", `all()`],
  ["\t", `all()`],
  // keyword-like label names (a label is expected wherever an operator is not)
  [`in in {"in"}`, `in in {"in"}`],
  [`not in {"a"}`, `not in {"a"}`],
  [`not not in {"a"}`, `not not in {"a"}`],
  [`notin notin {}`, `notin not in {}`],
  [`all == "x"`, `all == "x"`],
  [`has == "x"`, `has == "x"`],
  [`global != "x"`, `global != "x"`],
  [`has(contains) && contains != "in"`, `(has(contains) && contains != "in")`],
  [`with starts with "starts"`, `with starts with "starts"`],
  // sets: empty, trailing comma, sorting and de-duplication
  [`a in {}`, `a in {}`],
  [`a in {"a",}`, `a in {"a"}`],
  [`a in {"b", 'a', "b",}`, `a in {"a", "b"}`],
  [`a in {"é", "z", "😀", "\uE000", "Z"}`, `a in {"Z", "z", "é", "\uE000", "😀"}`],
  // "!=" is always not-equal
  [`a!='x'`, `a != "x"`],
  [`!a!='x'`, `!a != "x"`],
  // negation runs collapse, parentheses do not nest a not-node
  [`!!has(a)`, `has(a)`],
  [`!!!has(a)`, `!has(a)`],
  [`!! ! has(a)`, `!has(a)`],
  [`!(k == 'v')`, `!k == "v"`],
  [`((((a == "b"))))`, `a == "b"`],
  // group shapes: one flat group per run of the same operator, parentheses keep their own group
  [`a == "1" && b == "2" && c == "3"`, `(a == "1" && b == "2" && c == "3")`],
  [`(a == "1" && b == "2") && c == "3"`, `((a == "1" && b == "2") && c == "3")`],
  [`a == "1" || b == "2" && c == "3"`, `(a == "1" || (b == "2" && c == "3"))`],
  [`a == "1" && b == "2" || c == "3"`, `((a == "1" && b == "2") || c == "3")`],
  [`k == 'v' && x == 'y'`, `(k == "v" && x == "y")`],
  [`k == 'v' || has(x)`, `(k == "v" || has(x))`],
  // parser_test.go Visitor "big complex selector", without the prefix
  [
    `!(!(k == 'v' && has(t) || all()) && (a in {'b', 'c'}))`,
    `!(!((k == "v" && has(t)) || all()) && a in {"b", "c"})`,
  ],
  // label length limit is 512 (MaxLabelLength)
  [`${label512} == "x"`, `${label512} == "x"`],
  [`has(${label512})`, `has(${label512})`],
  // strings: anything but their own quote, including characters that are invalid outside strings
  [`a == "line\nbreak"`, `a == "line\nbreak"`],
  [`a == "%&|=!(){}"`, `a == "%&|=!(){}"`],
  [`a == ""`, `a == ""`],
];

describe("parseSelector: valid selectors and their canonical form", () => {
  for (const [input, canonical] of valid) {
    it(`${JSON.stringify(input).slice(0, 80)} -> ${canonical.slice(0, 60)}`, () => {
      const sel = mustParse(input);
      assert.equal(sel.canonical, canonical);
      assert.equal(sel.source, input);
      assert.equal(printSelector(sel.root), canonical);
      assert.equal(mustParse(canonical).canonical, canonical, "canonical form must re-parse to itself");
    });
  }
});

// parser_test.go canonicalisationTests, verbatim cases
const calicoCanonical: readonly (readonly [string, string])[] = [
  ["", "all()"],
  [" all() ", "all()"],
  [" (all() )", "all()"],
  [`! (has( b)||! has(a ))`, "!(has(b) || !has(a))"],
  [`! (a == "b"&&! c != "d")`, `!(a == "b" && !c != "d")`],
  [`a == "'"`, `a == "'"`],
  [`a == '"'`, `a == '"'`],
  [`a contains '"'`, `a contains '"'`],
  [`a contains "'"`, `a contains "'"`],
  [`a startswith '"'`, `a starts with '"'`],
  [`a endswith "'"`, `a ends with "'"`],
  [`a!='"'`, `a != '"'`],
  [`a in {"d"}`, `a in {"d"}`],
  [`a in {"a", "b"}`, `a in {"a", "b"}`],
  [`a in {"d", "a", "b"}`, `a in {"a", "b", "d"}`],
  [`a in {"z", "x", "y", "a"}`, `a in {"a", "x", "y", "z"}`],
  [`a in {"z", "z", "x", "y", "x", "a"}`, `a in {"a", "x", "y", "z"}`],
];

describe("parseSelector: Calico canonicalisationTests", () => {
  for (const [input, canonical] of calicoCanonical) {
    it(`${JSON.stringify(input)} -> ${canonical}`, () => {
      const sel = mustParse(input);
      assert.equal(sel.canonical, canonical);
      const again = mustParse(sel.canonical);
      assert.equal(again.canonical, canonical);
    });
  }

  it("keeps Calico's non-fixpoint: !(!x) prints as !!x, which re-parses to x", () => {
    // NotNode.collectFragments prints "!" + operand with no parentheses, and the parser collapses
    // runs of "!", so Calico's own canonical form changes on a second pass here.
    const sel = mustParse(`!(!a == "b")`);
    assert.deepEqual(sel.root, {
      kind: "not",
      operand: { kind: "not", operand: { kind: "compare", op: "==", label: "a", value: "b" } },
    });
    assert.equal(sel.canonical, `!!a == "b"`);
    assert.equal(mustParse(sel.canonical).canonical, `a == "b"`);
  });
});

describe("parseSelector: AST shapes", () => {
  it("a && b && c is one and-node with three operands", () => {
    const sel = mustParse(`has(a) && has(b) && has(c)`);
    assert.deepEqual(sel.root, {
      kind: "and",
      operands: [
        { kind: "has", label: "a" },
        { kind: "has", label: "b" },
        { kind: "has", label: "c" },
      ],
    });
  });
  it("! binds to one primary", () => {
    assert.deepEqual(mustParse(`!a == "x" || has(b)`).root, {
      kind: "or",
      operands: [
        { kind: "not", operand: { kind: "compare", op: "==", label: "a", value: "x" } },
        { kind: "has", label: "b" },
      ],
    });
  });
  it("in-sets are sorted and de-duplicated in the AST", () => {
    assert.deepEqual(mustParse(`a not in {"c", "a", "c"}`).root, {
      kind: "in",
      negated: true,
      label: "a",
      values: ["a", "c"],
    });
  });
  it("empty and blank selectors are all()", () => {
    assert.deepEqual(mustParse("").root, { kind: "all" });
    assert.deepEqual(mustParse(" \t ").root, { kind: "all" });
  });
});

// [input, offset, reason substring]
const invalid: readonly (readonly [string, number, string])[] = [
  // parser_test.go badSelectors
  ["b == b", 5, "expected a quoted string"],
  ["b contains b", 11, "expected a quoted string"],
  // Calico's cutMultiWordPrefixCheckBreak skips spaces after "with" before its word-boundary check,
  // so these two fail in the scanner, at the operator, rather than in the parser.
  ["b starts with b", 2, "expected an operator"],
  ["b ends with b", 2, "expected an operator"],
  ["'b1' == b", 0, 'expected a label, has(), all(), global(), "!" or "("'],
  ["b", 1, 'expected an operator after label "b"'],
  ["a b", 2, 'expected an operator after label "a"'],
  ["!", 1, "end of the selector"],
  [`foo == "bar" &`, 13, `expected "&&"`],
  [`foo == "bar" |`, 13, `expected "||"`],
  [`foo != ||`, 7, "expected a quoted string"],
  [`foo in {"", ||`, 12, `expected a quoted string or "}"`],
  [`foo in ""`, 7, `expected "{"`],
  [`"FOO`, 0, "unterminated string"],
  [`"FOO'`, 0, "unterminated string"],
  [`'FOO`, 0, "unterminated string"],
  [`(`, 1, "end of the selector"],
  [`(a == "foo"`, 11, `expected ")"`],
  [`)`, 0, `found ")"`],
  [`()`, 1, `found ")"`],
  [`%`, 0, `unexpected character "%"`],
  [`a == "b" && %`, 12, `unexpected character "%"`],
  [`a == "b" || %`, 12, `unexpected character "%"`],
  [`a `, 2, "expected an operator"],
  [`has(foo) &&`, 11, "end of the selector"],
  // tokenizer_test.go error cases
  [`label starts foo "value"`, 6, "expected an operator"],
  [`label ends foo "value"`, 6, "expected an operator"],
  [`label squiggles "value"`, 6, "expected an operator"],
  [`a not in "bar"`, 9, `expected "{"`],
  // single & and |, lone =, stray tokens
  ["&", 0, `expected "&&"`],
  ["|", 0, `expected "||"`],
  [`a = "b"`, 2, `expected "=="`],
  [`a ! = "b"`, 4, `expected "=="`],
  [`a == "b")`, 8, `unexpected ")"`],
  [`a == "b" has(c)`, 9, "unexpected has(c)"],
  [`a == "b" c == "d"`, 9, `unexpected label "c"`],
  [`has(a) || `, 10, "end of the selector"],
  [`&& has(a)`, 0, `found "&&"`],
  [`!= "x"`, 0, `found "!="`],
  // sets
  [`a in {,}`, 6, `expected a quoted string or "}"`],
  [`a in {"x" "y"}`, 10, `expected a quoted string or "}"`],
  [`a in {"x",,}`, 10, `expected a quoted string or "}"`],
  [`a in {"x"`, 9, `expected a quoted string or "}"`],
  [`a in ("x")`, 5, `expected "{"`],
  [`a in x`, 5, `expected "{"`],
  [`a not in x`, 2, "expected an operator"],
  // has(), all(), global()
  [`has (a)`, 4, 'expected an operator after label "has"'],
  [`has()`, 4, "expected a label name"],
  [`has( )`, 5, "expected a label name"],
  [`has(a b)`, 6, `expected ")" to close "has("`],
  [`has(a`, 5, `expected ")" to close "has("`],
  [`all(x)`, 4, `expected ")" to close "all("`],
  [`global( x)`, 8, `expected ")" to close "global("`],
  [`all ()`, 4, 'expected an operator after label "all"'],
  [`a has(b)`, 2, "expected an operator"],
  // whitespace other than space and tab
  ["a == 'x'\n", 8, "unexpected character U+000A"],
  ["a ==\r\n'x'", 4, "unexpected character U+000D"],
  ["\u00a0has(a)", 0, "unexpected character U+00A0"],
  ["has(\na)", 4, "expected a label name"],
  ["a not\nin {}", 2, "expected an operator"],
  // word boundaries after operators
  [`a containsx "v"`, 2, "expected an operator"],
  [`a startswithx "v"`, 2, "expected an operator"],
  [`a inx {}`, 2, "expected an operator"],
  [`a notinx {}`, 2, "expected an operator"],
  // label too long (513 > MaxLabelLength)
  [`${label513} == "x"`, 0, "label of 513 characters is longer than the maximum of 512"],
  [`has(${label513})`, 4, "label of 513 characters"],
  [`a == "x" && ${label513} == "x"`, 12, "label of 513 characters"],
  // non-ASCII outside strings
  [`é == "x"`, 0, "unexpected character"],
  [`a == "x" && 😀`, 12, "unexpected character U+1F600"],
  // a scanner error anywhere wins over a grammar error earlier (Calico tokenizes first)
  [`) == %`, 5, "unexpected character"],
];

describe("parseSelector: invalid selectors", () => {
  for (const [input, offset, reason] of invalid) {
    it(`${JSON.stringify(input).slice(0, 70)} fails at ${offset}`, () => {
      const result = parseSelector(input);
      assert.equal(result.ok, false, `expected ${JSON.stringify(input)} to be rejected`);
      if (result.ok) return;
      assert.ok(
        result.error.reason.includes(reason),
        `reason ${JSON.stringify(result.error.reason)} should contain ${JSON.stringify(reason)}`,
      );
      assert.equal(result.error.offset, offset, result.error.reason);
      assert.ok(result.error.reason.endsWith(`at offset ${offset}`), result.error.reason);
      assert.ok(!/[\n\r]/.test(result.error.reason), "reason must be one line");
    });
  }
});

describe("parseSelector: nesting limit", () => {
  it(`accepts ${MAX_NESTING_DEPTH} nested parentheses`, () => {
    const text = "(".repeat(MAX_NESTING_DEPTH) + "has(a)" + ")".repeat(MAX_NESTING_DEPTH);
    assert.equal(mustParse(text).canonical, "has(a)");
  });
  it(`rejects ${MAX_NESTING_DEPTH + 1} nested parentheses at the offending "("`, () => {
    const text = "(".repeat(MAX_NESTING_DEPTH + 1) + "has(a)" + ")".repeat(MAX_NESTING_DEPTH + 1);
    const result = parseSelector(text);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.error.offset, MAX_NESTING_DEPTH);
    assert.match(result.error.reason, /deeper than 100 levels at offset 100$/);
  });
  it("counts !( as nesting too", () => {
    const text = "!(".repeat(MAX_NESTING_DEPTH + 1) + "has(a)" + ")".repeat(MAX_NESTING_DEPTH + 1);
    const result = parseSelector(text);
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.error.offset, 2 * MAX_NESTING_DEPTH + 1);
  });
  it("a long run of ! is not nesting (Calico collapses it)", () => {
    assert.equal(mustParse("!".repeat(10_001) + "has(a)").canonical, "!has(a)");
  });
  it("nesting is counted, not the total number of groups", () => {
    const text = Array.from({ length: 500 }, (_, i) => `(has(a${i}))`).join(" || ");
    assert.equal(mustParse(text).root.kind, "or");
  });
});
