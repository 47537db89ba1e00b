// Matching. The first block is Calico's selectorTests table (libcalico-go/lib/selector/parser/parser_test.go);
// the rest covers calico-semantics §1.2 (absent labels, exact comparison) and our Map-based labels.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  evaluateSelector,
  labelsFromRecord,
  parseSelector,
  selectorMatches,
} from "../../../src/calico/selector/index.js";

type L = Record<string, string>;
interface Case {
  readonly sel: string;
  readonly matches: readonly L[];
  readonly nonMatches: readonly L[];
}

const calicoTable: readonly Case[] = [
  { sel: `a == "b"`, matches: [{ a: "b" }, { a: "b", c: "d" }], nonMatches: [{}, { a: "c" }, { c: "d" }] },
  {
    sel: `a == "b" && c == "d"`,
    matches: [{ a: "b", c: "d" }],
    nonMatches: [{}, { a: "b", c: "e" }, { a: "c", c: "d" }, { c: "d" }, { a: "b" }],
  },
  {
    sel: `a == "b" || c == "d"`,
    matches: [{ a: "b", c: "d" }, { a: "b" }, { c: "d" }],
    nonMatches: [{}, { a: "e", c: "e" }, { c: "e" }, { a: "e" }],
  },
  {
    sel: `a in {"'", '"', "c"}`,
    matches: [{ a: "c" }, { a: `"` }, { a: `'` }],
    nonMatches: [{}, { a: "e" }],
  },
  {
    sel: `a not in {"'", '"', "c"}`,
    matches: [{}, { a: "e" }],
    nonMatches: [{ a: "c" }, { a: `"` }, { a: `'` }],
  },
  { sel: `a == 'a'`, matches: [{ a: "a" }], nonMatches: [{ a: "b" }, {}] },
  { sel: `a == "a"`, matches: [{ a: "a" }], nonMatches: [] },
  { sel: `a != "b"`, matches: [{ a: "a" }], nonMatches: [] },
  { sel: `a != "a"`, matches: [{}], nonMatches: [{ a: "a" }] },
  { sel: `a != 'a'`, matches: [], nonMatches: [{ a: "a" }] },
  {
    sel: `a contains "a"`,
    matches: [{ a: "a" }, { a: "bab" }, { a: "aaa", b: "c" }],
    nonMatches: [{}, { a: "b" }, { b: "aaa" }],
  },
  {
    sel: `a starts with "a"`,
    matches: [{ a: "a" }, { a: "abb" }, { a: "aaa", b: "c" }],
    nonMatches: [{}, { a: "b" }, { a: "baa" }, { b: "aaa" }],
  },
  {
    sel: `a ends with "a"`,
    matches: [{ a: "a" }, { a: "bba" }, { a: "aaa", b: "c" }],
    nonMatches: [{}, { a: "b" }, { a: "aab" }, { b: "aaa" }],
  },
  { sel: `a in {"a"}`, matches: [{ a: "a" }], nonMatches: [{ a: "b" }] },
  { sel: `!a in {"a"}`, matches: [{ a: "b" }], nonMatches: [] },
  { sel: `a in {"a", "b"}`, matches: [{ a: "a" }, { a: "b" }], nonMatches: [{ a: "c" }] },
  { sel: `a not in {"d", "e"}`, matches: [{ a: "a" }], nonMatches: [] },
  { sel: `a not in {"a"}`, matches: [], nonMatches: [{ a: "a" }] },
  { sel: `has(a)`, matches: [{ a: "b" }], nonMatches: [] },
  { sel: `!has(a)`, matches: [{ b: "b" }], nonMatches: [{ a: "b" }] },
  { sel: ``, matches: [{}, { a: "b" }], nonMatches: [] },
  { sel: ` `, matches: [{}], nonMatches: [] },
  { sel: `all()`, matches: [{}], nonMatches: [] },
  { sel: ` all()`, matches: [{}, { a: "b" }], nonMatches: [] },
  { sel: `global()`, matches: [{}], nonMatches: [] },
  { sel: ` global()`, matches: [{}, { a: "b" }], nonMatches: [] },
  { sel: `has(b)`, matches: [], nonMatches: [{ a: "b" }] },
  { sel: `!!has(b)`, matches: [], nonMatches: [{ a: "b" }] },
  { sel: `! has(a)`, matches: [], nonMatches: [{ a: "b" }] },
  { sel: `!!! has(a)`, matches: [], nonMatches: [{ a: "b" }] },
  { sel: `!!!has(a)`, matches: [], nonMatches: [{ a: "b" }] },
  { sel: `!! ! has(a)`, matches: [], nonMatches: [{ a: "b" }] },
  { sel: `! !!has(a)`, matches: [], nonMatches: [{ a: "b" }] },
  { sel: `a == 'a1' && b == 'b1'`, matches: [{ a: "a1", b: "b1" }], nonMatches: [] },
  { sel: `a == 'a1' && b != 'b1'`, matches: [], nonMatches: [{ a: "a1", b: "b1" }] },
  { sel: `a != 'a1' && b == 'b1'`, matches: [], nonMatches: [{ a: "a1", b: "b1" }] },
  { sel: `a != 'a1' && b != 'b1'`, matches: [], nonMatches: [{ a: "a1", b: "b1" }] },
  { sel: `a != 'a1' && !b == 'b1'`, matches: [], nonMatches: [{ a: "a1", b: "b1" }] },
  { sel: `!a == 'a1' && b == 'b1'`, matches: [], nonMatches: [{ a: "a1", b: "b1" }] },
  { sel: `has(a) && !has(b)`, matches: [{ a: "a" }], nonMatches: [] },
  { sel: `!has(b) && has(a)`, matches: [{ a: "a" }], nonMatches: [] },
  { sel: `!(!has(a) || has(b))`, matches: [{ a: "a" }], nonMatches: [] },
  { sel: `!(has(b) || !has(a))`, matches: [{ a: "a" }], nonMatches: [] },
  { sel: `a == 'a1' || b == 'b1'`, matches: [{ a: "a1", b: "b1" }], nonMatches: [] },
  { sel: `a == 'a1' || b != 'b1'`, matches: [{ a: "a1", b: "b1" }], nonMatches: [] },
  { sel: `a != 'a1' || b == 'b1'`, matches: [{ a: "a1", b: "b1" }], nonMatches: [] },
  { sel: `a != 'a1' || b != 'b1'`, matches: [], nonMatches: [{ a: "a1", b: "b1" }] },
  { sel: `! a == 'a1' || ! b == 'b1'`, matches: [], nonMatches: [{ a: "a1", b: "b1" }] },
];

const semanticsTable: readonly Case[] = [
  // absent label: == false, != true, in false, not in true, contains/starts/ends false, has false
  { sel: `x != "y"`, matches: [{}, { x: "z" }, { x: "" }], nonMatches: [{ x: "y" }] },
  { sel: `x not in {}`, matches: [{}, { x: "" }, { x: "anything" }], nonMatches: [] },
  { sel: `x in {}`, matches: [], nonMatches: [{}, { x: "" }] },
  { sel: `x contains ""`, matches: [{ x: "" }, { x: "abc" }], nonMatches: [{}] },
  { sel: `x starts with ""`, matches: [{ x: "" }], nonMatches: [{}] },
  { sel: `x ends with ""`, matches: [{ x: "q" }], nonMatches: [{}] },
  { sel: `x == ""`, matches: [{ x: "" }], nonMatches: [{}, { x: " " }] },
  { sel: `has(x)`, matches: [{ x: "" }], nonMatches: [{}, { X: "v" }] },
  // != is not has() && !=
  { sel: `has(x) && x != "y"`, matches: [{ x: "z" }], nonMatches: [{}, { x: "y" }] },
  { sel: `!x == "y"`, matches: [{}, { x: "z" }], nonMatches: [{ x: "y" }] },
  // case-sensitive, byte-exact, no trimming, no numeric comparison
  {
    sel: `env == "Prod"`,
    matches: [{ env: "Prod" }],
    nonMatches: [{ env: "prod" }, { env: "Prod " }, { Env: "Prod" }],
  },
  { sel: `n == "1"`, matches: [{ n: "1" }], nonMatches: [{ n: "01" }, { n: "1.0" }] },
  { sel: `x contains "é"`, matches: [{ x: "café" }], nonMatches: [{ x: "cafe\u0301" }] },
  { sel: `x ends with "😀"`, matches: [{ x: "hi😀" }], nonMatches: [{ x: "hi" }] },
  // precedence: ! > && > ||
  {
    sel: `a == "1" || b == "1" && c == "1"`,
    matches: [{ a: "1" }, { b: "1", c: "1" }],
    nonMatches: [{ b: "1" }, { c: "1" }, {}],
  },
  {
    sel: `!has(a) && has(b) || has(c)`,
    matches: [{ b: "" }, { c: "" }, { a: "", c: "" }],
    nonMatches: [{ a: "", b: "" }],
  },
  // keyword-named labels
  {
    sel: `contains contains "contains"`,
    matches: [{ contains: "xcontainsx" }],
    nonMatches: [{ contains: "x" }, {}],
  },
  { sel: `in in {"in"}`, matches: [{ in: "in" }], nonMatches: [{ in: "out" }] },
  { sel: `not not in {"a"}`, matches: [{}, { not: "b" }], nonMatches: [{ not: "a" }] },
  // labels named like Object.prototype members are ordinary labels
  { sel: `has(constructor)`, matches: [{ constructor: "x" }], nonMatches: [{}] },
  { sel: `toString != "x"`, matches: [{}], nonMatches: [{ toString: "x" }] },
  { sel: `has(__proto__)`, matches: [], nonMatches: [{}] },
];

function check(table: readonly Case[]): void {
  for (const { sel, matches, nonMatches } of table) {
    it(JSON.stringify(sel), () => {
      const parsed = parseSelector(sel);
      assert.ok(parsed.ok, `parse ${sel}`);
      const reparsed = parseSelector(parsed.value.canonical);
      assert.ok(reparsed.ok, `re-parse ${parsed.value.canonical}`);
      for (const labels of matches) {
        const map = new Map(Object.entries(labels));
        assert.equal(
          selectorMatches(parsed.value, map),
          true,
          `${sel} should match ${JSON.stringify(labels)}`,
        );
        assert.equal(evaluateSelector(reparsed.value.root, map), true, `canonical of ${sel} should match`);
      }
      for (const labels of nonMatches) {
        const map = new Map(Object.entries(labels));
        assert.equal(
          selectorMatches(parsed.value, map),
          false,
          `${sel} should not match ${JSON.stringify(labels)}`,
        );
        assert.equal(
          evaluateSelector(reparsed.value.root, map),
          false,
          `canonical of ${sel} should not match`,
        );
      }
    });
  }
}

describe("selectorMatches: Calico selectorTests", () => check(calicoTable));
describe("selectorMatches: calico-semantics §1.2", () => check(semanticsTable));

describe("labelsFromRecord", () => {
  it("keeps string values only and returns a Map", () => {
    const labels = labelsFromRecord({ a: "1", b: 2, c: null, d: undefined, e: "", f: ["x"], g: true });
    assert.ok(labels instanceof Map);
    assert.deepEqual(
      [...labels.entries()],
      [
        ["a", "1"],
        ["e", ""],
      ],
    );
  });
  it("treats undefined as no labels", () => {
    assert.equal(labelsFromRecord(undefined).size, 0);
  });
  it("does not leak Object.prototype", () => {
    const labels = labelsFromRecord(
      JSON.parse(`{"__proto__": "p", "app": "web"}`) as Record<string, unknown>,
    );
    assert.equal(labels.get("__proto__"), "p");
    assert.equal(labels.has("constructor"), false);
    const sel = parseSelector(`has(constructor) || has(hasOwnProperty)`);
    assert.ok(sel.ok);
    assert.equal(selectorMatches(sel.value, labels), false);
  });
});

describe("evaluateSelector on hand-built trees", () => {
  it("empty and-group is true, empty or-group is false (Calico's loop semantics)", () => {
    assert.equal(evaluateSelector({ kind: "and", operands: [] }, new Map()), true);
    assert.equal(evaluateSelector({ kind: "or", operands: [] }, new Map()), false);
  });
});
