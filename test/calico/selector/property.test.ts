// Property and fuzz tests: printing and re-parsing preserves meaning, the canonical form is stable,
// and no input string makes parseSelector throw, hang or overflow the stack.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  evaluateSelector,
  parseSelector,
  printSelector,
  type Labels,
  type SelectorNode,
} from "../../../src/calico/selector/index.js";

// Small alphabets so that generated selectors and generated label maps actually meet.
const LABELS = [
  "a",
  "b",
  "app.kubernetes.io/name",
  "x-y_z.1",
  "contains",
  "in",
  "not",
  "notin",
  "all",
  "has",
  "global",
  "starts",
  "with",
  "startswith",
  "ends",
  "endswith",
] as const;
const VALUES = [
  "",
  "x",
  "y",
  "xy",
  "yx",
  "all()",
  "global()",
  "it's",
  'say "hi"',
  "a b",
  "é",
  "😀",
  "\uE000",
  "(",
  "&&",
];

const labelArb = fc.constantFrom(...LABELS);
// A value may contain one kind of quote, never both (no selector text can express that).
const valueArb = fc.oneof(
  fc.constantFrom(...VALUES),
  fc.string({ unit: fc.constantFrom("x", "y", "'", " ", "(", ")", "!", "{", ","), maxLength: 6 }),
  fc.string({ unit: fc.constantFrom("x", "y", '"', "\t", "|", "=", "}"), maxLength: 6 }),
);

function byCodePoint(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0) ?? 0);
  const y = Array.from(b, (c) => c.codePointAt(0) ?? 0);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
  }
  return x.length - y.length;
}

const leafArb: fc.Arbitrary<SelectorNode> = fc.oneof(
  fc.constant<SelectorNode>({ kind: "all" }),
  fc.constant<SelectorNode>({ kind: "global" }),
  labelArb.map((label): SelectorNode => ({ kind: "has", label })),
  fc
    .record({
      op: fc.constantFrom("==", "!=", "contains", "starts with", "ends with" as const),
      label: labelArb,
      value: valueArb,
    })
    .map((r): SelectorNode => ({ kind: "compare", ...r })),
  fc
    .record({ negated: fc.boolean(), label: labelArb, values: fc.array(valueArb, { maxLength: 4 }) })
    .map((r): SelectorNode => ({
      kind: "in",
      negated: r.negated,
      label: r.label,
      values: [...new Set(r.values)].sort(byCodePoint),
    })),
);

/**
 * Trees in the shape the parser produces: groups of 2+ operands, sorted sets, and never a negation
 * directly inside a negation (Calico prints that as "!!", which collapses on re-parse).
 */
const { node: treeArb } = fc.letrec<{ node: SelectorNode; notOperand: SelectorNode; group: SelectorNode }>(
  (tie) => ({
    node: fc.oneof(
      { maxDepth: 4, depthIdentifier: "tree" },
      leafArb,
      tie("group"),
      tie("notOperand").map(negate),
    ),
    notOperand: fc.oneof({ maxDepth: 4, depthIdentifier: "tree" }, leafArb, tie("group")),
    group: fc
      .record({ and: fc.boolean(), operands: fc.array(tie("node"), { minLength: 2, maxLength: 4 }) })
      .map((g): SelectorNode => ({ kind: g.and ? "and" : "or", operands: g.operands })),
  }),
);

function negate(operand: SelectorNode): SelectorNode {
  return { kind: "not", operand };
}

/** Any tree, including double negations. */
const { node: anyTreeArb } = fc.letrec<{ node: SelectorNode }>((tie) => ({
  node: fc.oneof(
    { maxDepth: 4, depthIdentifier: "any" },
    leafArb,
    tie("node").map(negate),
    fc
      .record({ and: fc.boolean(), operands: fc.array(tie("node"), { minLength: 2, maxLength: 3 }) })
      .map((g): SelectorNode => ({ kind: g.and ? "and" : "or", operands: g.operands })),
  ),
}));

const labelsArb: fc.Arbitrary<Labels> = fc
  .array(fc.tuple(labelArb, fc.oneof(fc.constantFrom(...VALUES), valueArb)), { maxLength: 8 })
  .map((entries) => new Map(entries));

function reparse(text: string): SelectorNode {
  const result = parseSelector(text);
  if (!result.ok) assert.fail(`canonical text ${JSON.stringify(text)} did not parse: ${result.error.reason}`);
  return result.value.root;
}

describe("property: print -> parse", () => {
  it("the re-parsed tree evaluates like the original on random label maps", () => {
    fc.assert(
      fc.property(anyTreeArb, fc.array(labelsArb, { minLength: 1, maxLength: 6 }), (tree, maps) => {
        const back = reparse(printSelector(tree));
        for (const labels of maps) {
          assert.equal(evaluateSelector(back, labels), evaluateSelector(tree, labels), printSelector(tree));
        }
      }),
      { numRuns: 600 },
    );
  });

  it("printing parser-shaped trees is idempotent and round-trips the tree", () => {
    fc.assert(
      fc.property(treeArb, (tree) => {
        const canonical = printSelector(tree);
        const back = reparse(canonical);
        assert.equal(printSelector(back), canonical);
        assert.deepEqual(back, tree);
      }),
      { numRuns: 600 },
    );
  });

  it("for any tree the canonical form is a fixpoint after one re-parse", () => {
    fc.assert(
      fc.property(anyTreeArb, (tree) => {
        const once = printSelector(reparse(printSelector(tree)));
        assert.equal(printSelector(reparse(once)), once);
      }),
      { numRuns: 500 },
    );
  });
});

// Characters and fragments that exercise every scanner branch.
const FRAGMENTS = [
  "a",
  "b",
  " ",
  "\t",
  "\n",
  "==",
  "=",
  "!=",
  "!",
  "&&",
  "&",
  "||",
  "|",
  "(",
  ")",
  "{",
  "}",
  ",",
  "'x'",
  '"y"',
  "'",
  '"',
  "in",
  "not",
  "has(",
  "all()",
  "global(",
  "contains",
  "starts",
  "with",
  "ends",
  "%",
  "é",
  "😀",
];

function assertWellFormedResult(text: string): void {
  let result: ReturnType<typeof parseSelector>;
  try {
    result = parseSelector(text);
  } catch (e) {
    assert.fail(`parseSelector threw on ${JSON.stringify(text)}: ${String(e)}`);
  }
  if (result.ok) {
    // Whatever parses has a canonical form that parses again.
    reparse(result.value.canonical);
  } else {
    const { offset, reason } = result.error;
    assert.ok(
      Number.isInteger(offset) && offset >= 0 && offset <= text.length,
      `offset ${offset} in ${text.length}`,
    );
    assert.ok(reason.length > 0 && !/[\n\r]/.test(reason), `one-line reason: ${JSON.stringify(reason)}`);
    assert.ok(reason.endsWith(`at offset ${offset}`), reason);
  }
}

describe("fuzz: parseSelector never throws", () => {
  it("arbitrary Unicode strings (including lone surrogates)", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 80 }), assertWellFormedResult), {
      numRuns: 1000,
    });
  });

  it("grapheme strings", () => {
    fc.assert(fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), assertWellFormedResult), {
      numRuns: 500,
    });
  });

  it("strings built from selector fragments", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 25 }), (parts) =>
        assertWellFormedResult(parts.join("")),
      ),
      { numRuns: 2000 },
    );
  });

  it("mutations of valid selectors", () => {
    const mutation = fc.record({
      at: fc.nat(),
      kind: fc.constantFrom("insert", "delete", "replace", "duplicate"),
      text: fc.constantFrom(...FRAGMENTS),
    });
    fc.assert(
      fc.property(treeArb, fc.array(mutation, { minLength: 1, maxLength: 4 }), (tree, mutations) => {
        let text = printSelector(tree);
        for (const m of mutations) {
          const at = text.length === 0 ? 0 : m.at % (text.length + 1);
          if (m.kind === "insert") text = text.slice(0, at) + m.text + text.slice(at);
          else if (m.kind === "delete") text = text.slice(0, at) + text.slice(at + 1);
          else if (m.kind === "replace") text = text.slice(0, at) + m.text + text.slice(at + m.text.length);
          else text = text.slice(0, at) + text.slice(at, at + 10) + text.slice(at);
        }
        assertWellFormedResult(text);
      }),
      { numRuns: 1000 },
    );
  });

  const huge: readonly (readonly [string, () => string, boolean])[] = [
    ["200k open parentheses", () => "(".repeat(200_000), false],
    ["deeply nested !( … )", () => "!(".repeat(100_000) + "has(a)" + ")".repeat(100_000), false],
    ["balanced but 100k deep", () => "(".repeat(100_000) + "all()" + ")".repeat(100_000), false],
    ["200k !", () => "!".repeat(200_000), false],
    ["200k ! then has()", () => "!".repeat(200_000) + "has(a)", true],
    ["unterminated 200k string", () => `a == "` + "x".repeat(200_000), false],
    ["200k-character value", () => `a == "` + "x".repeat(200_000) + `"`, true],
    ["200k-character label", () => "k".repeat(200_000) + ` == "x"`, false],
    ["wide flat or-group", () => Array.from({ length: 20_000 }, (_, i) => `k${i} == "v"`).join(" || "), true],
    ["wide set", () => `a in {${Array.from({ length: 20_000 }, (_, i) => `"${i}"`).join(", ")}}`, true],
    ["200k spaces", () => " ".repeat(200_000), true],
    ["200k newlines", () => "\n".repeat(200_000), false],
  ];
  for (const [name, make, shouldParse] of huge) {
    // Speed is the benchmark's business (npm run bench); here: no throw, no stack overflow, right answer.
    it(`${name}: ${shouldParse ? "parses" : "returns an error"} without throwing`, () => {
      const text = make();
      const result = parseSelector(text);
      assert.equal(result.ok, shouldParse, result.ok ? "parsed" : result.error.reason);
      if (result.ok) {
        assert.equal(typeof evaluateSelector(result.value.root, new Map([["a", "1"]])), "boolean");
      }
    });
  }
});
