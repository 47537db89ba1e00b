/** The per-object limits (src/calico/limits.ts): generous for real objects, firm for the attacks of issue 13. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DEFAULT_LIMITS, exceededLimits, jsonBytes, limitLines } from "../../src/calico/limits.js";
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { capturedClusterObjects } from "../helpers/shared.js";

const gnp = (spec: Record<string, unknown>) => ({
  apiVersion: "projectcalico.org/v3",
  kind: "GlobalNetworkPolicy",
  metadata: { name: "big" },
  spec: { selector: "all()", ...spec },
});

describe("per-object limits", () => {
  test("the recorded cluster and the examples are far below every limit", () => {
    const examples = ["examples/cluster/calico.yaml", "examples/cluster/nodes.yaml"].flatMap((f) =>
      parseAllDocuments(readFileSync(f, "utf8")).map((d) => d.toJS() as unknown),
    );
    for (const object of [...capturedClusterObjects(), ...examples]) {
      assert.deepEqual(exceededLimits(object), [], JSON.stringify(object).slice(0, 80));
    }
  });

  test("exactly at a limit is fine; one over is reported with the path, the count and how to split", () => {
    const rules = (n: number) => Array.from({ length: n }, () => ({ action: "Log" }));
    assert.deepEqual(exceededLimits(gnp({ ingress: rules(1000), egress: rules(1000) })), []);
    const over = exceededLimits(gnp({ ingress: rules(1000), egress: rules(1001) }));
    assert.equal(over.length, 1);
    assert.deepEqual(
      { path: over[0]!.path, count: over[0]!.count, max: over[0]!.max },
      { path: "spec.ingress+spec.egress", count: 2001, max: 2000 },
    );
    assert.match(
      limitLines(over)[0]!,
      /2001 rules, over hostguard's limit of 2000: split the rules over several policies/,
    );
  });

  test("ports, nets, selectors, failsafe lists and size", () => {
    const ports = Array.from({ length: 1001 }, (_, i) => i + 1);
    const nets = Array.from({ length: 10_001 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);
    const cases: [unknown, string][] = [
      [
        gnp({ ingress: [{ action: "Allow", protocol: "TCP", destination: { ports } }] }),
        "spec.ingress[0].destination.ports",
      ],
      [gnp({ egress: [{ action: "Deny", source: { notNets: nets } }] }), "spec.egress[0].source.notNets"],
      [gnp({ selector: `a in {${"'x',".repeat(20_000)}'y'}` }), "spec.selector"],
      [
        {
          apiVersion: "crd.projectcalico.org/v1",
          kind: "GlobalNetworkSet",
          metadata: { name: "s" },
          spec: { nets },
        },
        "spec.nets",
      ],
      [
        {
          apiVersion: "projectcalico.org/v3",
          kind: "FelixConfiguration",
          metadata: { name: "default" },
          spec: { failsafeInboundHostPorts: ports.map((port) => ({ protocol: "TCP", port })) },
        },
        "spec.failsafeInboundHostPorts",
      ],
      [
        gnp({
          ingress: [
            { action: "Allow", metadata: { annotations: { a: "x".repeat(DEFAULT_LIMITS.maxObjectBytes) } } },
          ],
        }),
        "",
      ],
    ];
    for (const [object, path] of cases) {
      const over = exceededLimits(object);
      assert.deepEqual(
        over.map((o) => o.path),
        [path],
        path,
      );
    }
  });

  test("never throws, whatever the input", () => {
    const cyclic: Record<string, unknown> = { kind: "GlobalNetworkPolicy" };
    cyclic.spec = cyclic;
    for (const input of [
      null,
      undefined,
      42,
      "x",
      [],
      { kind: "GlobalNetworkPolicy", spec: { ingress: "no" } },
      cyclic,
    ]) {
      assert.doesNotThrow(() => exceededLimits(input));
    }
    assert.equal(jsonBytes(cyclic), 0);
  });
});
