import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { assertError, decoded, failed, V1, V3 } from "./helpers.js";

describe("KubeControllersConfiguration", () => {
  function kcc(spec: unknown, apiVersion = V1): unknown {
    return { apiVersion, kind: "KubeControllersConfiguration", metadata: { name: "default" }, spec };
  }
  const cases: [string, unknown, string | undefined][] = [
    [
      "Enabled",
      { controllers: { node: { hostEndpoint: { autoCreate: "Enabled" }, syncLabels: "Enabled" } } },
      "Enabled",
    ],
    ["Disabled", { controllers: { node: { hostEndpoint: { autoCreate: "Disabled" } } } }, "Disabled"],
    ["no hostEndpoint", { controllers: { node: { reconcilerPeriod: "5m" } } }, undefined],
    ["no controllers", { healthChecks: "Enabled" }, undefined],
    ["no spec", undefined, undefined],
  ];
  for (const [name, spec, expected] of cases) {
    for (const apiVersion of [V1, V3]) {
      test(`${name} (${apiVersion})`, () => {
        const k = decoded(kcc(spec, apiVersion), "KubeControllersConfiguration");
        assert.equal(k.autoCreateHostEndpoints, expected);
      });
    }
  }
  test("other spellings are errors", () => {
    assertError(
      failed(kcc({ controllers: { node: { hostEndpoint: { autoCreate: "enabled" } } } })),
      "spec.controllers.node.hostEndpoint.autoCreate",
      /Enabled or Disabled/,
    );
    assertError(failed(kcc({ controllers: { node: "x" } })), "spec.controllers.node", /must be an object/);
  });
});

describe("Tier", () => {
  function tier(spec: unknown): unknown {
    return { apiVersion: V3, kind: "Tier", metadata: { name: "security" }, spec };
  }
  const cases: [string, unknown, number | undefined, string][] = [
    ["order and Pass", { order: 100, defaultAction: "Pass" }, 100, "Pass"],
    ["defaults", {}, undefined, "Deny"],
    ["no spec", undefined, undefined, "Deny"],
    ["explicit Deny", { order: 1e6, defaultAction: "Deny" }, 1e6, "Deny"],
  ];
  for (const [name, spec, order, action] of cases) {
    test(name, () => {
      const t = decoded(tier(spec), "Tier");
      assert.equal(t.order, order);
      assert.equal(t.defaultAction, action);
    });
  }
  test("errors", () => {
    const errors = failed(tier({ order: "1", defaultAction: "Allow" }));
    assertError(errors, "spec.order", /must be a number/);
    assertError(errors, "spec.defaultAction", /Deny or Pass/);
  });
});

describe("apiVersion and kind", () => {
  const cases: [string, unknown, string, RegExp][] = [
    ["null", null, "", /Kubernetes object/],
    ["a string", "x", "", /Kubernetes object/],
    ["an array", [], "", /Kubernetes object/],
    ["no apiVersion", { kind: "HostEndpoint", metadata: { name: "h" } }, "apiVersion", /is required/],
    [
      "unknown apiVersion",
      { apiVersion: "projectcalico.org/v2", kind: "HostEndpoint" },
      "apiVersion",
      /unsupported apiVersion/,
    ],
    ["numeric apiVersion", { apiVersion: 3, kind: "HostEndpoint" }, "apiVersion", /must be a string/],
    ["no kind", { apiVersion: V3, metadata: { name: "h" } }, "kind", /is required/],
    [
      "unknown kind",
      { apiVersion: V3, kind: "NetworkPolicy", metadata: { name: "h" } },
      "kind",
      /unsupported kind "NetworkPolicy"/,
    ],
    [
      "lower-case kind",
      { apiVersion: V3, kind: "hostendpoint", metadata: { name: "h" } },
      "kind",
      /unsupported kind/,
    ],
    [
      "Calico kind with v1",
      { apiVersion: "v1", kind: "HostEndpoint", metadata: { name: "h" } },
      "apiVersion",
      /Calico apiVersion/,
    ],
    [
      "Node with a Calico group",
      { apiVersion: V1, kind: "Node", metadata: { name: "n" } },
      "apiVersion",
      /apiVersion v1/,
    ],
  ];
  for (const [name, object, path, reason] of cases) {
    test(name, () => assertError(failed(object), path, reason));
  }
  test("both apiVersion and kind errors are reported", () => {
    const errors = failed({ apiVersion: "x/v9", kind: "Pod" });
    assertError(errors, "apiVersion", /unsupported/);
    assertError(errors, "kind", /unsupported/);
  });
});
