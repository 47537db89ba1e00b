import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { defaultConfig } from "../../src/config/index.js";
import { decide } from "../../src/decision/decide.js";
import { hepsYaml, nodesYaml, stateFromYaml } from "../helpers/state.js";

const KINDS = [
  "GlobalNetworkPolicy",
  "HostEndpoint",
  "GlobalNetworkSet",
  "FelixConfiguration",
  "KubeControllersConfiguration",
  "Tier",
  "Node",
  "Pod",
];

test("decide never throws and always answers, whatever the object", () => {
  const state = stateFromYaml(nodesYaml(2), hepsYaml(2));
  const config = defaultConfig();
  const object = fc.oneof(
    fc.jsonValue(),
    fc.record({
      apiVersion: fc.constantFrom("projectcalico.org/v3", "crd.projectcalico.org/v1", "v1", "x/y"),
      kind: fc.constantFrom(...KINDS),
      metadata: fc.record({ name: fc.oneof(fc.constant("n1-eth0"), fc.string()) }, { requiredKeys: [] }),
      spec: fc.jsonValue(),
    }),
  );
  fc.assert(
    fc.property(
      fc.constantFrom("CREATE", "UPDATE", "DELETE"),
      fc.constantFrom(...KINDS),
      object,
      (operation, kind, obj) => {
        const d = decide(
          state,
          {
            operation,
            kind,
            name: "n1-eth0",
            object: operation === "DELETE" ? undefined : obj,
            oldObject: operation === "DELETE" ? obj : undefined,
          },
          config,
        );
        assert.equal(typeof d.allowed, "boolean");
        assert.ok(d.warnings.every((w) => w.length <= 120));
        if (!d.allowed) assert.equal(typeof d.message, "string");
      },
    ),
    { numRuns: 300 },
  );
});
