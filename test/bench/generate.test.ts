/**
 * The benchmark's cluster generator (bench/generate.ts): deterministic, the requested counts, only
 * objects Calico accepts, and a cluster in which the Rancher flows are allowed, so that the
 * benchmark's harmless changes are admitted as they would be in production.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { generateCluster, type RawObject } from "../../bench/generate.js";
import { CHANGE_TYPES } from "../../bench/protocol.js";
import { requestPools, reviewBody } from "../../bench/requests.js";
import { defaultConfig } from "../../src/config/index.js";
import { auditFindings } from "../../src/decision/audit.js";
import { decide } from "../../src/decision/decide.js";
import { loadState } from "../../src/engine/load.js";

const SMALL = { nodes: 20, policies: 30, networkSets: 8, seed: 7 };

function ofKind(objects: readonly RawObject[], kind: string): RawObject[] {
  return objects.filter((o) => o.kind === kind);
}

describe("generateCluster", () => {
  test("is deterministic for a seed, and the seed matters", () => {
    const a = generateCluster(SMALL);
    const b = generateCluster(SMALL);
    assert.deepEqual(a.objects, b.objects);
    assert.deepEqual(a.refs, b.refs);
    const c = generateCluster({ ...SMALL, seed: 8 });
    assert.notDeepEqual(a.objects, c.objects);
  });

  for (const spec of [SMALL, { nodes: 300, policies: 150, networkSets: 20, seed: 1 }]) {
    test(`makes the requested counts, all valid (${spec.nodes} nodes, ${spec.policies} GNP, ${spec.networkSets} GNS)`, () => {
      const { objects, counts } = generateCluster(spec);
      assert.equal(counts.Node, spec.nodes);
      assert.equal(counts.GlobalNetworkPolicy, spec.policies);
      assert.equal(counts.GlobalNetworkSet, spec.networkSets);
      assert.ok((counts.HostEndpoint ?? 0) > spec.nodes, "every node has a HEP, some have two");
      assert.equal(counts.Tier, 1);
      const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
      assert.equal(new Set(names).size, names.length, "names are unique per kind");
      const loaded = loadState(objects);
      assert.deepEqual(loaded.rejected, []);
    });
  }

  test("has the realistic mix the benchmark is about", () => {
    const { objects } = generateCluster(SMALL);
    const specs = ofKind(objects, "GlobalNetworkPolicy").map((p) => p.spec as Record<string, unknown>);
    const text = JSON.stringify(specs);
    assert.ok(
      specs.some((s) => s.preDNAT === true),
      "preDNAT allow lists",
    );
    assert.ok(
      specs.some((s) => s.doNotTrack === true),
      "doNotTrack policies",
    );
    assert.ok(
      specs.some((s) => s.tier === "security"),
      "a tier",
    );
    assert.ok(text.includes('"action":"Pass"'), "Pass rules");
    assert.ok(text.includes('"notNets"'), "notNets");
    assert.ok(text.includes('"node-exporter"'), "named ports");
    assert.ok(
      specs.some((s) => String(s.selector).startsWith("hostname ==")),
      "per-node policies",
    );
    assert.ok(
      specs.some((s) => s.selector === "has(kubernetes-host)"),
      "role selectors",
    );
    const heps = ofKind(objects, "HostEndpoint");
    assert.ok(
      heps.some((h) => (h.spec as { interfaceName: string }).interfaceName === "*"),
      "`*` HEPs",
    );
    assert.ok(
      heps.some((h) => (h.spec as { interfaceName: string }).interfaceName === "eth0"),
      "named HEPs",
    );
    const felix = ofKind(objects, "FelixConfiguration").map((f) => f.metadata.name);
    assert.ok(felix.includes("default") && felix.some((n) => n.startsWith("node.")));
    const internal = ofKind(objects, "GlobalNetworkSet").filter(
      (s) => s.metadata.labels?.role === "internal-net",
    );
    assert.ok(internal.length >= 1, "internal-net sets (Rancher sources)");
  });

  test("the Rancher flows are allowed: a harmless change is admitted with no violation and no finding", () => {
    const generated = generateCluster(SMALL);
    const { state } = loadState(generated.objects);
    const config = defaultConfig();
    assert.deepEqual(
      auditFindings(state, config).map((f) => f.message),
      [],
      "the generated cluster has no finding of its own",
    );
    const pools = requestPools(generated.refs);
    const harmless = pools.gnpUpdate[0]!;
    const d = decide(state, harmless.request, config);
    assert.equal(d.allowed, true, d.message);
    assert.deepEqual(d.violations, []);
  });

  test("every change type's request decides as the benchmark expects", () => {
    const generated = generateCluster({ nodes: 10, policies: 14, networkSets: 5, seed: 3 });
    const { state } = loadState(generated.objects);
    const pools = requestPools(generated.refs);
    const config = defaultConfig();
    for (const type of CHANGE_TYPES) {
      assert.ok(pools[type].length > 0, `${type} has requests`);
      for (const item of pools[type].slice(0, 1)) {
        const d = decide(state, item.request, config);
        assert.equal(d.allowed, item.expectAllowed, `${type} ${item.request.name}: ${d.message ?? ""}`);
        const check = type.startsWith("lockout") ? "required-ports" : "node-coverage";
        if (item.expectAllowed) assert.deepEqual(d.violations, [], type);
        else
          assert.ok(
            d.violations.some((v) => v.check === check),
            type,
          );
      }
    }
  });

  test("the HTTPS body is the captured review retargeted at a policy of the cluster", () => {
    const generated = generateCluster(SMALL);
    const review = JSON.parse(reviewBody(generated.refs)) as {
      request: { name: string; dryRun: boolean; object: { metadata: { name: string } } };
    };
    const target = generated.refs.nonCriticalPolicies[0]!.metadata.name;
    assert.equal(review.request.name, target);
    assert.equal(review.request.object.metadata.name, target);
    assert.equal(review.request.dryRun, true);
  });
});
