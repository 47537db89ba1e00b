/**
 * Long sequences of changes, as the informers apply them one by one to the state they hold: after
 * every step, the decision of a write against that warm, derived state must equal the decision
 * against the same objects loaded afresh with nothing cached (issue 12, item 8). Steps cover every
 * guarded kind, both API groups, deletions and Node changes (which are applied, not decided).
 *
 * CI runs a bounded number of steps; HOSTGUARD_SEQUENCE_RUNS raises it for a longer soak.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { parseConfig } from "../../src/config/index.js";
import type { GuardConfig } from "../../src/config/types.js";
import { decide, type Decision, type DecisionRequest } from "../../src/decision/decide.js";
import { clearBoxCache } from "../../src/engine/box-cache.js";
import type { Change } from "../../src/engine/change.js";
import { loadState } from "../../src/engine/load.js";
import type { ClusterState } from "../../src/engine/state.js";
import { buildObjects, NODE_IP, world } from "../helpers/random-state.js";

type Raw = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  status?: unknown;
};

const parsed = parseConfig({
  profiles: [],
  requirements: [
    {
      name: "everything",
      from: [{ nodes: "all()" }, { globalNetworkSets: "has(a)" }],
      ports: ["tcp:1-12", { port: "udp:5-9", path: "forward" }],
    },
  ],
});
assert.ok(parsed.ok);
const CONFIG: GuardConfig = parsed.value;

/** The same object as crd.projectcalico.org/v1 writes it: default-tier policies carry `default.`. */
function asV1(o: Raw): Raw {
  if (o.kind === "Node") return o;
  const name =
    o.kind === "GlobalNetworkPolicy" && !o.metadata.name.includes(".")
      ? `default.${o.metadata.name}`
      : o.metadata.name;
  return { ...o, apiVersion: "crd.projectcalico.org/v1", metadata: { ...o.metadata, name } };
}

const step = fc.record({
  op: fc.constantFrom("put", "put", "put", "delete", "node"),
  pick: fc.nat(),
  v1: fc.boolean(),
  /** for node steps: which node, and whether it keeps its host label / moves its address */
  nodeLabel: fc.boolean(),
  nodeMoves: fc.boolean(),
});

function same(a: Raw, b: Raw): boolean {
  if (a.kind !== b.kind) return false;
  const strip = (n: string) => (a.kind === "GlobalNetworkPolicy" ? n.replace(/^default\./, "") : n);
  return strip(a.metadata.name) === strip(b.metadata.name);
}

function summary(d: Decision) {
  const keys = (fs: readonly { key: string }[]) => fs.map((f) => f.key).sort();
  return {
    allowed: d.allowed,
    violations: keys(d.violations),
    preExisting: keys(d.preExisting),
    fixed: keys(d.fixed),
  };
}

test("a long sequence of changes applied one by one decides like the same objects loaded afresh", () => {
  const runs = Number(process.env.HOSTGUARD_SEQUENCE_RUNS ?? 8);
  let steps = 0;
  fc.assert(
    fc.property(world, world, fc.array(step, { minLength: 60, maxLength: 120 }), (w1, w2, plan) => {
      let objects = buildObjects(w1) as Raw[];
      let state: ClusterState = loadState(objects).state;
      const pool = buildObjects(w2) as Raw[];
      for (const s of plan) {
        steps++;
        if (s.op === "node") {
          const nodes = objects.filter((o) => o.kind === "Node");
          const node = nodes[s.pick % nodes.length]!;
          const index = Number(node.metadata.name.slice(1)) - 1;
          const moved: Raw = {
            ...node,
            metadata: { ...node.metadata, labels: s.nodeLabel ? { "kubernetes-host": "" } : {} },
            status: {
              addresses: [
                { type: "InternalIP", address: s.nodeMoves ? `192.168.0.${index * 4 + 1}` : NODE_IP(index) },
              ],
            },
          };
          const loaded = loadState([moved]).state.all()[0]!;
          // Nodes are read, not guarded: the informers apply them.
          state = state.apply({ operation: "UPDATE", object: loaded });
          objects = [...objects.filter((o) => !same(o, moved)), moved];
          continue;
        }
        const guarded = objects.filter((o) => o.kind !== "Node");
        const target =
          s.op === "delete"
            ? guarded[s.pick % Math.max(1, guarded.length)]
            : pool.filter((o) => o.kind !== "Node")[s.pick % Math.max(1, pool.length - 3)];
        if (!target) continue;
        const raw = s.v1 ? asV1(target) : target;
        const old = objects.find((o) => same(o, raw));
        const request: DecisionRequest =
          s.op === "delete"
            ? { operation: "DELETE", kind: raw.kind, name: raw.metadata.name, oldObject: old }
            : {
                operation: old ? "UPDATE" : "CREATE",
                kind: raw.kind,
                name: raw.metadata.name,
                object: raw,
                oldObject: old,
              };
        const warm = decide(state, request, CONFIG);
        clearBoxCache();
        const cold = decide(loadState(objects).state, request, CONFIG);
        assert.deepEqual(
          summary(warm),
          summary(cold),
          `${request.operation} ${request.kind} ${request.name}`,
        );
        // The write lands (admitted or not, another replica or a break-glass may let it through):
        // the informers apply what the API server stored.
        const change: Change | undefined =
          s.op === "delete"
            ? (() => {
                const gone = loadState([old ?? raw]).state.all()[0];
                return gone ? { operation: "DELETE", kind: gone.kind, name: gone.name } : undefined;
              })()
            : (() => {
                const put = loadState([raw]).state.all()[0];
                return put ? { operation: "UPDATE", object: put } : undefined;
              })();
        if (!change) continue;
        state = state.apply(change);
        objects =
          s.op === "delete"
            ? objects.filter((o) => !same(o, raw))
            : [...objects.filter((o) => !same(o, raw)), raw];
      }
    }),
    { numRuns: runs, seed: Number(process.env.HOSTGUARD_PROPERTY_SEED ?? 4242) },
  );
  assert.ok(steps >= runs * 60, `${steps} steps`);
});
