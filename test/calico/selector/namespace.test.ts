// Namespace-selector rewriting (libcalico-go/lib/backend/syncersv1/updateprocessors/selectors.go,
// globalnetworkpolicyprocessor.go, rules.go). The globalPolicySelector cases are the ones in
// globalnetworkpolicyprocessor_test.go.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  globalPolicySelector,
  parseSelector,
  printSelector,
  rewriteNamespaceSelector,
  selectorMatches,
  evaluateSelector,
  type NamespaceSelectorContext,
} from "../../../src/calico/selector/index.js";

function rewrite(text: string, context?: NamespaceSelectorContext): string {
  const parsed = parseSelector(text);
  assert.ok(parsed.ok, text);
  return printSelector(rewriteNamespaceSelector(parsed.value.root, context));
}

const hep = new Map([
  ["kubernetes.io/hostname", "node-1"],
  ["x", "y"],
]);
const pod = new Map([
  ["app", "web"],
  ["projectcalico.org/namespace", "prod"],
  ["pcns.team", "blue"],
  ["pcns.kubernetes.io/metadata.name", "prod"],
]);

describe("rewriteNamespaceSelector (GlobalNetworkPolicy spec.namespaceSelector)", () => {
  const cases: readonly (readonly [string, string])[] = [
    [`name == 'testing'`, `pcns.name == "testing"`],
    [`all()`, `has(projectcalico.org/namespace)`],
    [`has(team) && team != "red"`, `(has(pcns.team) && pcns.team != "red")`],
    [`!(a in {"x"} || all())`, `!(pcns.a in {"x"} || has(projectcalico.org/namespace))`],
    [
      `k starts with "p" || k ends with "q" || k contains "r" || k not in {}`,
      `(pcns.k starts with "p" || pcns.k ends with "q" || pcns.k contains "r" || pcns.k not in {})`,
    ],
    // the replacement is textual in Calico, so it reaches into quoted values and the set is re-sorted
    [`name == "all()"`, `pcns.name == "has(projectcalico.org/namespace)"`],
    [`n in {"all()", "b", "zz"}`, `pcns.n in {"b", "has(projectcalico.org/namespace)", "zz"}`],
    // global() is left alone for a GNP (its validator rejects global() there)
    [`global()`, `global()`],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} -> ${expected}`, () => assert.equal(rewrite(input), expected));
  }

  it("defaults to the policy context", () =>
    assert.equal(rewrite(`global()`, "policy"), rewrite(`global()`)));

  it("never matches a HostEndpoint except through absent-label operators", () => {
    const matchesHep = (ns: string): boolean => {
      const parsed = parseSelector(ns);
      assert.ok(parsed.ok);
      return evaluateSelector(rewriteNamespaceSelector(parsed.value.root), hep);
    };
    assert.equal(matchesHep(`all()`), false);
    assert.equal(matchesHep(`has(x)`), false, "the HEP's own label x is not pcns.x");
    assert.equal(matchesHep(`x == "y"`), false);
    assert.equal(matchesHep(`x != "y"`), true, "pcns.x is absent, so != is true (T7)");
    assert.equal(matchesHep(`x not in {"y"}`), true);
    assert.equal(matchesHep(`!has(team)`), true);
    assert.equal(matchesHep(`!all()`), true);
  });

  it("still matches pods through pcns.* labels", () => {
    const parsed = parseSelector(`team == "blue"`);
    assert.ok(parsed.ok);
    assert.equal(evaluateSelector(rewriteNamespaceSelector(parsed.value.root), pod), true);
  });
});

describe("rewriteNamespaceSelector (rule namespaceSelector)", () => {
  const cases: readonly (readonly [string, string])[] = [
    [`global()`, `!has(projectcalico.org/namespace)`],
    [`all()`, `has(projectcalico.org/namespace)`],
    [`team == "blue"`, `pcns.team == "blue"`],
    // "!" + "!has(...)" collapses when Felix re-parses the text
    [`!global()`, `has(projectcalico.org/namespace)`],
    [`a == "global()"`, `pcns.a == "!has(projectcalico.org/namespace)"`],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} -> ${expected}`, () => assert.equal(rewrite(input, "rule"), expected));
  }
  it("global() selects HostEndpoints and not pods", () => {
    const parsed = parseSelector(`global()`);
    assert.ok(parsed.ok);
    const node = rewriteNamespaceSelector(parsed.value.root, "rule");
    assert.equal(evaluateSelector(node, hep), true);
    assert.equal(evaluateSelector(node, pod), false);
  });
});

describe("rewriteNamespaceSelector: label length", () => {
  it("keeps the structural rewrite when a prefixed key exceeds 512 characters", () => {
    const key = "k".repeat(510);
    const parsed = parseSelector(`has(${key})`);
    assert.ok(parsed.ok);
    assert.deepEqual(rewriteNamespaceSelector(parsed.value.root), { kind: "has", label: `pcns.${key}` });
  });
});

describe("globalPolicySelector (globalnetworkpolicyprocessor_test.go)", () => {
  const sel = "mylabel == 'selectme'";
  const cases: readonly (readonly [string, string, string, string])[] = [
    // [selector, namespaceSelector, serviceAccountSelector, expected v1 selector text]
    [sel, "", "", `mylabel == 'selectme'`],
    [sel, "", "role == 'development'", `(mylabel == 'selectme') && pcsa.role == "development"`],
    [sel, "", "role 'development'", `mylabel == 'selectme'`],
    [sel, "", "all()", `(mylabel == 'selectme') && has(projectcalico.org/serviceaccount)`],
    [sel, "name == 'testing'", "", `(mylabel == 'selectme') && pcns.name == "testing"`],
    [sel, "name 'testing'", "", `mylabel == 'selectme'`],
    [sel, "all()", "", `(mylabel == 'selectme') && has(projectcalico.org/namespace)`],
    [
      sel,
      "name == 'testing'",
      "role == 'development'",
      `((mylabel == 'selectme') && pcns.name == "testing") && pcsa.role == "development"`,
    ],
    ["", "", "role == 'development'", `pcsa.role == "development"`],
    ["", "name == 'testing'", "", `pcns.name == "testing"`],
    [
      "",
      "name == 'testing'",
      "role == 'development'",
      `(pcns.name == "testing") && pcsa.role == "development"`,
    ],
    // the all() replacement also hits the policy's own selector text
    ["all()", "x != 'y'", "", `(has(projectcalico.org/namespace)) && pcns.x != "y"`],
    ["a == 'all()'", "has(b)", "", `(a == 'has(projectcalico.org/namespace)') && has(pcns.b)`],
    // ...but only where the text is literally "all()"
    ["all( )", "x != 'y'", "", `(all( )) && pcns.x != "y"`],
    // without a namespaceSelector nothing is replaced
    ["all()", "", "", `all()`],
  ];
  for (const [selector, ns, sa, expected] of cases) {
    it(`${JSON.stringify([selector, ns, sa])}`, () => {
      const result = globalPolicySelector(selector, ns, sa);
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(result.value.source, expected);
      const direct = parseSelector(expected);
      assert.ok(direct.ok);
      assert.equal(result.value.canonical, direct.value.canonical);
    });
  }

  it("a GNP with a namespaceSelector and an empty selector can select HostEndpoints via !=", () => {
    const r = globalPolicySelector("", "x != 'y'");
    assert.ok(r.ok);
    assert.equal(selectorMatches(r.value, hep), true);
  });
  it("the same namespaceSelector with selector all() never selects a HostEndpoint", () => {
    const r = globalPolicySelector("all()", "x != 'y'");
    assert.ok(r.ok);
    assert.equal(selectorMatches(r.value, hep), false);
    assert.equal(selectorMatches(r.value, pod), true);
  });
  it("reports an error when the combined text does not parse", () => {
    const r = globalPolicySelector("", `has(${"k".repeat(510)})`);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error.reason, /longer than the maximum of 512/);
  });
});
