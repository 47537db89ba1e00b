/**
 * The fast path (evaluateBox: one evaluation per address class × port class) must give, for every
 * single flow of the box, the same outcome as evaluating that flow on its own (explainFlow).
 * Random states cover nodes with named, interface-only and `*` HEPs, GNPs in every stage
 * (untracked, preDNAT, normal, apply-on-forward), tiers with Deny and Pass, Pass/Log rules,
 * GlobalNetworkSets, named ports and failsafe overrides.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { ipFromValue, parseIp } from "../../src/calico/net/ip.js";
import { protocolFromNumber } from "../../src/calico/protocol.js";
import { evaluateBox, type BoxQuery } from "../../src/engine/classes.js";
import { explainFlow } from "../../src/engine/explain.js";
import type { Flow, FlowEnd } from "../../src/engine/flow.js";
import { loadState } from "../../src/engine/load.js";
import type { ClusterState } from "../../src/engine/state.js";
import {
  buildObjects,
  EXTERNAL_BASE,
  EXTERNAL_SIZE,
  NODES,
  PORT_MAX,
  world,
} from "../helpers/random-state.js";

const query = fc.record({
  dst: fc.integer({ min: 0, max: 2 }),
  src: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 2 })),
  protocol: fc.constantFrom(6, 17),
  path: fc.constantFrom("host", "forward"),
});

function nodeEnd(state: ClusterState, i: number): FlowEnd & { kind: "node" } {
  const node = state.get("Node", NODES[i]!)!;
  return { kind: "node", node, address: node.internalIPs[0]! };
}

function key(s: {
  side: string;
  verdict: string;
  stage: string;
  policy?: string;
  ruleIndex?: number;
}): string {
  return `${s.side}:${s.verdict}:${s.stage}:${s.policy ?? ""}:${s.ruleIndex ?? ""}`;
}

test("fast path equals per-flow brute force on random states", () => {
  const base = parseIp(EXTERNAL_BASE);
  assert.ok(base.ok);
  let checkedStates = 0;
  fc.assert(
    fc.property(world, query, (w, q) => {
      const loaded = loadState(buildObjects(w));
      assert.deepEqual(loaded.rejected, [], "the generator builds only objects Calico accepts");
      const state = loaded.state;
      const to = nodeEnd(state, q.dst);
      const from: BoxQuery["from"] =
        q.src < 0
          ? {
              kind: "external",
              range: {
                family: 4,
                first: base.value.value,
                last: base.value.value + BigInt(EXTERNAL_SIZE - 1),
              },
            }
          : { kind: "node", end: nodeEnd(state, q.src) };
      const box: BoxQuery = {
        from,
        to,
        protocol: q.protocol,
        ports: { min: 1, max: PORT_MAX },
        path: q.path as "host" | "forward",
      };
      const segments = evaluateBox(state, box);
      const addresses =
        from.kind === "node"
          ? [from.end.address.value]
          : Array.from({ length: EXTERNAL_SIZE }, (_, i) => base.value.value + BigInt(i));
      for (const a of addresses) {
        for (let port = 1; port <= PORT_MAX; port++) {
          const seg = segments.find(
            (s) => s.srcFirst <= a && a <= s.srcLast && s.portMin! <= port && port <= s.portMax!,
          );
          assert.ok(seg, `a segment covers ${a}:${port}`);
          const fromEnd: FlowEnd =
            from.kind === "node" ? from.end : { kind: "external", address: ipFromValue(4, a) };
          const flow: Flow = {
            from: fromEnd,
            to,
            protocol: protocolFromNumber(q.protocol),
            port,
            path: box.path,
          };
          const brute = explainFlow(state, flow, false);
          assert.equal(
            seg.outcome.sides.map(key).join("|"),
            brute.sides.map(key).join("|"),
            `flow from ${fromEnd.address.text} port ${port}`,
          );
        }
      }
      checkedStates++;
    }),
    { numRuns: 500, seed: Number(process.env.HOSTGUARD_PROPERTY_SEED ?? 20261121) },
  );
  assert.equal(checkedStates >= 500, true);
});
