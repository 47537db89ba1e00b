/**
 * The library API of design §8 through the package's public entry: `import "hostguard"` resolves
 * through package.json `exports` to the built dist/index.js (`npm test` builds first), so this is
 * what a caller gets. Each entry takes plain data (label objects or Maps, parsed YAML/JSON,
 * selector text) and answers garbage (null, numbers, cyclic objects, huge strings) with a result.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import fc from "fast-check";
import * as hostguard from "hostguard";
import { parseAllDocuments } from "yaml";

/** The example cluster as a caller has it: the objects of its YAML files. */
const exampleObjects: unknown[] = ["examples/cluster/nodes.yaml", "examples/cluster/calico.yaml"].flatMap(
  (file) => parseAllDocuments(readFileSync(file, "utf8")).map((doc) => doc.toJS() as unknown),
);

function cyclic(): Record<string, unknown> {
  const o: Record<string, unknown> = { kind: "HostEndpoint", metadata: { name: "loop" } };
  o.spec = o;
  (o.metadata as Record<string, unknown>).self = o;
  return o;
}

const HUGE = "a".repeat(1 << 20);

/** Garbage every entry must answer with a result: a fixed set, then fast-check's anything(). */
const garbage: unknown[] = [
  null,
  undefined,
  0,
  -1,
  Number.NaN,
  42n,
  true,
  "",
  HUGE,
  `${"(".repeat(10_000)}a`,
  [],
  [null, 1, "x"],
  {},
  cyclic(),
  [cyclic()],
  new Map([[1, 2]]),
  Symbol("s"),
  () => 1,
  Object.create(null) as unknown,
];

/** Calls `fn` and asserts that it returned a result union rather than throwing. */
function isResult(value: unknown): asserts value is { ok: boolean } {
  assert.ok(typeof value === "object" && value !== null && "ok" in value, `a result: ${String(value)}`);
  const r = value as { ok: unknown; value?: unknown; error?: unknown };
  assert.equal(typeof r.ok, "boolean");
  assert.ok(r.ok ? "value" in r : r.error !== undefined, "ok has a value, a failure an error");
}

/** Every entry, called with one piece of garbage in each argument position. */
const entries: Record<string, (g: unknown) => unknown[]> = {
  parseSelector: (g) => [hostguard.parseSelector(g)],
  selectorMatches: (g) => [hostguard.selectorMatches(g, { a: "b" }), hostguard.selectorMatches("has(a)", g)],
  printSelector: (g) => [hostguard.printSelector(g)],
  labelsFromRecord: (g) => [hostguard.labelsFromRecord(g)],
  normalize: (g) => [hostguard.normalize(g)],
  validateResource: (g) => [hostguard.validateResource(g)],
  loadState: (g) => [hostguard.loadState(g)],
  explainFlow: (g) => [
    hostguard.explainFlow(g, { from: "node-1", to: "node-2", protocol: "TCP", port: 22 }),
    hostguard.explainFlow(exampleObjects, g),
  ],
  decide: (g) => [
    hostguard.decide(g, { operation: "DELETE", kind: "HostEndpoint", name: "node-2" }),
    hostguard.decide(exampleObjects, g),
    hostguard.decide(exampleObjects, { operation: "DELETE", kind: "HostEndpoint", name: "node-2" }, g),
    hostguard.decide(exampleObjects, { operation: "CREATE", object: g }),
  ],
  parseConfig: (g) => [hostguard.parseConfig(g)],
  parseConfigYaml: (g) => [hostguard.parseConfigYaml(g)],
};

describe("the library API (import 'hostguard')", () => {
  test("the issue's example: a plain label object matches, no `labels.get is not a function`", () => {
    const sel = hostguard.parseSelector("a == 'b'");
    assert.ok(sel.ok);
    assert.deepEqual(hostguard.selectorMatches(sel.value, { a: "b" }), { ok: true, value: true });
    assert.deepEqual(hostguard.selectorMatches(sel.value, new Map([["a", "c"]])), { ok: true, value: false });
  });

  test("selectors as text or parsed (also after a JSON round trip); labels as objects or Maps", () => {
    const text = "has(kubernetes-host) && role != 'db'";
    const parsed = hostguard.parseSelector(text);
    assert.ok(parsed.ok);
    const labels = { "kubernetes-host": "", role: "web" };
    for (const selector of [text, parsed.value, JSON.parse(JSON.stringify(parsed.value)) as unknown]) {
      assert.deepEqual(hostguard.selectorMatches(selector, labels), { ok: true, value: true });
      assert.deepEqual(hostguard.selectorMatches(selector, new Map(Object.entries(labels))), {
        ok: true,
        value: true,
      });
      assert.deepEqual(hostguard.selectorMatches(selector, { role: "web" }), { ok: true, value: false });
    }
    // A label named like an Object.prototype member is an ordinary label.
    assert.deepEqual(hostguard.selectorMatches("has(constructor)", {}), { ok: true, value: false });
    assert.deepEqual(hostguard.selectorMatches("has(constructor)", { constructor: "x" }), {
      ok: true,
      value: true,
    });
    assert.deepEqual(hostguard.printSelector("a=='b'"), { ok: true, value: 'a == "b"' });
    assert.equal(hostguard.parseSelector("has(").ok, false);
    const bad = hostguard.selectorMatches("has(", {});
    assert.ok(!bad.ok && bad.error.startsWith("selector:"), JSON.stringify(bad));
    const notString = hostguard.selectorMatches("has(a)", { a: 1 });
    assert.ok(!notString.ok && /string value/.test(notString.error));
    const labelsMap = hostguard.labelsFromRecord({ a: "1" });
    assert.ok(labelsMap.ok);
    assert.equal(labelsMap.value.get("a"), "1");
  });

  test("objects as parsed YAML: validate, load (array, List or one object), explain, decide", () => {
    assert.equal(hostguard.validateResource({ kind: "HostEndpoint" }).ok, false);
    assert.equal(hostguard.normalize(null).ok, false);
    const node = {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: "n1" },
      status: { addresses: [{ type: "InternalIP", address: "10.0.0.1" }] },
    };
    for (const objects of [[node], { apiVersion: "v1", kind: "List", items: [node] }, node]) {
      const loaded = hostguard.loadState(objects);
      assert.ok(loaded.ok);
      assert.equal(loaded.value.state.nodes.length, 1);
    }

    const loaded = hostguard.loadState(exampleObjects);
    assert.ok(loaded.ok);
    assert.deepEqual(loaded.value.rejected, []);
    const flow = { from: "203.0.113.9", to: "node-1", protocol: "TCP", port: 10250 };
    // the state as loaded, the LoadedState, or the objects themselves
    for (const state of [loaded.value.state, loaded.value, exampleObjects]) {
      const explained = hostguard.explainFlow(state, flow);
      assert.ok(explained.ok);
      assert.equal(explained.value.verdict, "deny");
    }
    assert.equal(hostguard.explainFlow(loaded.value, { ...flow, from: "nope" }).ok, false);

    const deleted = hostguard.decide(loaded.value, {
      operation: "DELETE",
      kind: "HostEndpoint",
      name: "node-2",
    });
    assert.ok(deleted.ok);
    assert.equal(deleted.value.allowed, false);
    assert.match(deleted.value.message ?? "", /node-2/);
    // the config as data, as YAML text, or as built by the API; none is the default (enforce)
    const built = hostguard.parseConfigYaml("mode: warn");
    assert.ok(built.ok);
    const request = { operation: "delete", kind: "HostEndpoint", name: "node-2" };
    for (const config of [{ mode: "warn" }, "mode: warn\n", built.value]) {
      const warned = hostguard.decide(exampleObjects, request, config);
      assert.ok(warned.ok);
      assert.equal(warned.value.allowed, true);
      assert.equal(warned.value.mode, "warn");
    }
    const enforced = hostguard.decide(exampleObjects, request);
    assert.ok(enforced.ok && !enforced.value.allowed);
    const badConfig = hostguard.decide(
      loaded.value,
      { operation: "DELETE", kind: "HostEndpoint", name: "x" },
      {
        mode: "loud",
      },
    );
    assert.ok(!badConfig.ok && badConfig.error.startsWith("config: mode"), JSON.stringify(badConfig));
    // kind and name default to the object's
    const created = hostguard.decide(exampleObjects, {
      operation: "CREATE",
      object: {
        apiVersion: "projectcalico.org/v3",
        kind: "GlobalNetworkSet",
        metadata: { name: "s" },
        spec: {},
      },
    });
    assert.ok(created.ok);
    assert.equal(created.value.kind, "GlobalNetworkSet");
    assert.equal(created.value.name, "s");
    assert.equal(created.value.allowed, true);
    // an invalid object is a decision (denied with calico-valid), not an API error
    const garbageObject = hostguard.decide(exampleObjects, {
      operation: "CREATE",
      kind: "GlobalNetworkSet",
      name: "x",
      object: "garbage",
    });
    assert.ok(garbageObject.ok);
    assert.equal(garbageObject.value.allowed, false);
  });

  test("config entries: defaults, data, YAML", () => {
    assert.equal(hostguard.defaultConfig().mode, "enforce");
    assert.equal(hostguard.parseConfig({ mode: "audit" }).ok, true);
    assert.equal(hostguard.parseConfigYaml("mode: [").ok, false);
  });

  for (const [name, call] of Object.entries(entries)) {
    test(`${name}: garbage in every argument gives a result, never a throw`, () => {
      for (const g of garbage) for (const r of call(g)) isResult(r);
    });
  }

  test("property: anything at all, in any argument of any entry, gives a result", () => {
    fc.assert(
      fc.property(
        fc.anything({ withMap: true, withSet: true, withBigInt: true, withNullPrototype: true }),
        (g) => {
          for (const call of Object.values(entries)) for (const r of call(g)) isResult(r);
        },
      ),
      { numRuns: 60 },
    );
  });
});
