/**
 * A decision checks `before` against `before.apply(change)` and reuses what earlier decisions
 * computed: cached box verdicts, the base state's classes and index of denying boxes, the nodes a
 * change can touch, views carried over from the parent state (ADR 0008). This property checks the
 * result equals checking from scratch: two states loaded anew from the object lists (unrelated, so
 * nothing carries over) with an empty box cache.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { parse } from "yaml";
import { parseConfig } from "../../src/config/index.js";
import type { GuardConfig } from "../../src/config/types.js";
import type { CheckResult } from "../../src/checks/check.js";
import { decide, runChecks, type DecisionRequest } from "../../src/decision/decide.js";
import { clearBoxCache } from "../../src/engine/box-cache.js";
import { loadState } from "../../src/engine/load.js";
import { buildObjects, world } from "../helpers/random-state.js";
import { hepsYaml, nodesYaml, stateFromYaml } from "../helpers/state.js";

const parsed = parseConfig({
  profiles: [],
  requirements: [
    {
      name: "everything",
      from: [{ nodes: "all()" }, { globalNetworkSets: "has(a)" }],
      ports: ["tcp:1-12", "tcp:7", { port: "udp:5-9", path: "forward" }],
    },
  ],
});
assert.ok(parsed.ok);
const CONFIG: GuardConfig = parsed.value;

type Raw = { kind: string; metadata: { name: string } };

const ALLOW_ALL: Raw = {
  apiVersion: "projectcalico.org/v3",
  kind: "GlobalNetworkPolicy",
  metadata: { name: "allow-all" },
  spec: {
    order: 500,
    selector: "all()",
    applyOnForward: true,
    types: ["Ingress", "Egress"],
    ingress: [{ action: "Allow" }],
    egress: [{ action: "Allow" }],
  },
} as Raw;

function summary(results: readonly CheckResult[]) {
  const keys = (pick: (r: CheckResult) => readonly { key: string }[]) =>
    results.flatMap((r) => pick(r).map((f) => f.key)).sort();
  return {
    introduced: keys((r) => r.introduced),
    preExisting: keys((r) => r.preExisting),
    fixed: keys((r) => r.fixed),
  };
}

function withChange(objects: readonly Raw[], change: { remove?: Raw; put?: Raw }): Raw[] {
  const target = change.remove ?? change.put!;
  const same = (o: Raw) => o.kind === target.kind && o.metadata.name === target.metadata.name;
  const rest = objects.filter((o) => !same(o));
  return change.put ? [...rest, change.put] : rest;
}

test("checks of a state derived by one change, against a warm base, equal checks of two states loaded afresh", () => {
  fc.assert(
    fc.property(
      world,
      world,
      fc.array(fc.tuple(fc.nat(), fc.boolean(), fc.boolean()), { minLength: 1, maxLength: 6 }),
      (w1, w2, picks) => {
        // A mostly healthy base, so that most boxes allow everything and a decision skips them: the
        // random policies (and deleting this one) are what can break it.
        let baseObjects = [...(buildObjects(w1) as Raw[]), ALLOW_ALL];
        let base = loadState(baseObjects).state;
        const candidates = (buildObjects(w2) as Raw[]).filter((o) => o.kind !== "Node");
        for (const [pick, remove, adopt] of picks) {
          const existing = baseObjects.filter((o) => o.kind !== "Node");
          const change =
            remove && existing.length > 0
              ? { remove: existing[pick % existing.length]! }
              : candidates.length > 0
                ? { put: candidates[pick % candidates.length]! }
                : undefined;
          if (!change) continue;
          const loaded = loadState([change.put ?? change.remove]).state.all()[0];
          if (!loaded) continue;
          const derived = base.apply(
            change.put
              ? { operation: "UPDATE", object: loaded }
              : { operation: "DELETE", kind: loaded.kind, name: loaded.name },
          );
          const warm = summary(runChecks(base, derived, CONFIG));
          // From scratch: two unrelated states, nothing cached.
          clearBoxCache();
          const before = loadState(baseObjects).state;
          const after = loadState(withChange(baseObjects, change)).state;
          const cold = summary(runChecks(before, after, CONFIG));
          assert.deepEqual(warm, cold);
          // Sometimes the change lands, as the informers apply it: the next base is derived from
          // this one and carries its classes and index over.
          if (adopt) {
            base = derived;
            baseObjects = withChange(baseObjects, change);
          }
        }
      },
    ),
    { numRuns: 150, seed: Number(process.env.HOSTGUARD_PROPERTY_SEED ?? 2111) },
  );
});

/**
 * The keys leave out what cannot decide a required port (ADR 0008). These cases change only such
 * "irrelevant-looking" details against a warm base state, where a key that left out too much would
 * serve the base state's cached verdicts.
 */
describe("a warm base state does not hide a change that matters", () => {
  const TCP7 = (() => {
    const c = parseConfig({
      profiles: [],
      requirements: [{ name: "tcp-7", from: [{ nodes: "all()" }], ports: ["tcp:7", "tcp:30-40"] }],
    });
    assert.ok(c.ok);
    return c.value;
  })();
  const allowAll = `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: allow-all }
spec: { selector: all(), order: 500, ingress: [ { action: Allow } ], egress: [ { action: Allow } ] }
`;
  const block = (rules: string) => `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: block }
spec: { selector: all(), order: 100, ingress: [ ${rules} ] }
`;
  const cases: { name: string; before: string; after: string; dropped: string }[] = [
    {
      name: "a Deny rule moved onto the required port",
      before: "{ action: Deny, protocol: TCP, destination: { ports: [5] } }",
      after: "{ action: Deny, protocol: TCP, destination: { ports: [7] } }",
      dropped: "7",
    },
    {
      name: "a Deny rule's protocol changed",
      before: "{ action: Deny, protocol: UDP, destination: { ports: [7] } }",
      after: "{ action: Deny, protocol: TCP, destination: { ports: [7] } }",
      dropped: "7",
    },
    {
      name: "a Deny range widened into the required range",
      before: "{ action: Deny, protocol: TCP, destination: { ports: ['25:29'] } }",
      after: "{ action: Deny, protocol: TCP, destination: { ports: ['25:33'] } }",
      dropped: "30-33",
    },
    {
      name: "a Log rule became a Deny",
      before: "{ action: Log, protocol: TCP, destination: { ports: [7] } }",
      after: "{ action: Deny, protocol: TCP, destination: { ports: [7] } }",
      dropped: "7",
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const base = stateFromYaml(nodesYaml(3), hepsYaml(3), allowAll, block(c.before));
      const request = (yaml: string): DecisionRequest => {
        const object = parse(yaml) as { kind: string; metadata: { name: string } };
        return { operation: "UPDATE", kind: object.kind, name: object.metadata.name, object };
      };
      // Warm the base: decide an unrelated write first, so its boxes and index are cached.
      assert.equal(decide(base, request(block(c.before)), TCP7).violations.length, 0);
      const d = decide(base, request(block(c.after)), TCP7);
      assert.equal(d.allowed, false, d.message);
      assert.deepEqual([...new Set(d.violations.map((f) => f.ports))], [c.dropped]);
    });
  }
});
