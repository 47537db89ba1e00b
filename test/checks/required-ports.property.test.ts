/**
 * required-ports judges classes of nodes (engine/signatures.ts) and classes of addresses and ports
 * (engine/classes.ts). This property test checks the whole judgement against brute force — every
 * (source, destination, port) flow evaluated on its own in both states — on random pairs of states.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { ipFromValue } from "../../src/calico/net/ip.js";
import { cidrFirst, cidrLast } from "../../src/calico/net/ip.js";
import { selectorMatches } from "../../src/calico/selector/index.js";
import { isCovered } from "../../src/checks/coverage.js";
import { judgeRequirements, type Judged } from "../../src/checks/required-ports.js";
import { parseConfig } from "../../src/config/index.js";
import type { GuardConfig } from "../../src/config/types.js";
import { explainFlow } from "../../src/engine/explain.js";
import type { FlowEnd } from "../../src/engine/flow.js";
import { loadState } from "../../src/engine/load.js";
import type { ClusterState } from "../../src/engine/state.js";
import { buildObjects, world } from "../helpers/random-state.js";

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

type Tuples = { introduced: Set<string>; preExisting: Set<string>; fixed: Set<string> };

/** A judged rectangle as flows: a class pair is every source to every other destination; self boxes each node to itself. */
function expand(judged: readonly Judged[], into: Set<string>): void {
  for (const j of judged) {
    const network = j.source.box.kind !== "node";
    const pairs = j.toSelf
      ? j.sources.names.map((s, i) => [s, j.to[i]!] as const)
      : (network ? [j.source.id] : j.sources.names).flatMap((s) =>
          j.to.filter((t) => network || t !== s).map((t) => [s, t] as const),
        );
    for (const [from, to] of pairs) {
      for (let port = j.piece.portMin!; port <= j.piece.portMax!; port++) {
        for (let a = j.piece.srcFirst; a <= j.piece.srcLast; a++) {
          const src = network ? `${from}/${ipFromValue(4, a).text}` : from;
          into.add(`${j.port.label}/${j.port.path}/${src}/${to}/${port}`);
        }
      }
    }
  }
}

function classBased(before: ClusterState, after: ClusterState): Tuples {
  const { current, fixed } = judgeRequirements(before, after, CONFIG);
  const t: Tuples = { introduced: new Set(), preExisting: new Set(), fixed: new Set() };
  expand(
    current.filter((j) => j.before !== undefined),
    t.introduced,
  );
  expand(
    current.filter((j) => j.before === undefined),
    t.preExisting,
  );
  expand(fixed, t.fixed);
  return t;
}

function gnsSources(state: ClusterState): Map<string, { first: bigint; last: bigint }> {
  const out = new Map<string, { first: bigint; last: bigint }>();
  const sel = CONFIG.requirements[0]!.from[1]!;
  assert.equal(sel.kind, "globalNetworkSets");
  for (const set of state.list("GlobalNetworkSet")) {
    if (sel.kind !== "globalNetworkSets" || !selectorMatches(sel.selector, set.labels)) continue;
    for (const c of set.nets) if (c.family === 4) out.set(c.text, { first: cidrFirst(c), last: cidrLast(c) });
  }
  return out;
}

function bruteForce(before: ClusterState, after: ClusterState): Tuples {
  const t: Tuples = { introduced: new Set(), preExisting: new Set(), fixed: new Set() };
  const verdict = (
    state: ClusterState,
    from: FlowEnd,
    to: FlowEnd & { kind: "node" },
    proto: number,
    port: number,
    path: "host" | "forward",
  ) =>
    explainFlow(
      state,
      { from, to, protocol: { number: proto, name: proto === 6 ? "TCP" : "UDP" }, port, path },
      false,
    ).verdict;
  const requirement = CONFIG.requirements[0]!;
  const gnsBefore = gnsSources(before);
  for (const rp of requirement.ports) {
    for (const dst of after.nodes) {
      const to = { kind: "node" as const, node: dst, address: dst.internalIPs[0]! };
      const record = (
        key: string,
        covB: boolean,
        covA: boolean,
        existedBefore: boolean,
        from: FlowEnd,
        beforeFrom: FlowEnd,
      ) => {
        for (let port = rp.ports!.min; port <= rp.ports!.max; port++) {
          if (!covA) continue;
          const b = existedBefore
            ? verdict(before, beforeFrom, to, rp.protocol.number, port, rp.path)
            : undefined;
          const a = verdict(after, from, to, rp.protocol.number, port, rp.path);
          const k = `${rp.label}/${rp.path}/${key}/${dst.name}/${port}`;
          if (a === "deny") (b === "allow" && covB && existedBefore ? t.introduced : t.preExisting).add(k);
          if (a === "allow" && b === "deny" && covB && existedBefore) t.fixed.add(k);
        }
      };
      for (const src of after.nodes) {
        const address = src.internalIPs[0]!;
        const end: FlowEnd = { kind: "node", node: src, address };
        const beforeEnd: FlowEnd = { kind: "node", node: before.get("Node", src.name)!, address };
        record(
          src.name,
          isCovered(before, src, address),
          isCovered(after, src, address),
          true,
          end,
          beforeEnd,
        );
      }
      for (const [cidr, range] of gnsSources(after)) {
        for (let a = range.first; a <= range.last; a++) {
          const end: FlowEnd = { kind: "external", address: ipFromValue(4, a) };
          record(`${cidr}/${end.address.text}`, true, true, gnsBefore.has(cidr), end, end);
        }
      }
    }
  }
  return t;
}

function sorted(s: Set<string>): string[] {
  return [...s].sort();
}

test("required-ports by classes equals per-flow brute force on random pairs of states", () => {
  fc.assert(
    fc.property(world, world, (w1, w2) => {
      const before = loadState(buildObjects(w1));
      const after = loadState(buildObjects(w2));
      assert.deepEqual([before.rejected, after.rejected], [[], []]);
      const fast = classBased(before.state, after.state);
      const slow = bruteForce(before.state, after.state);
      assert.deepEqual(sorted(fast.introduced), sorted(slow.introduced), "introduced");
      assert.deepEqual(sorted(fast.preExisting), sorted(slow.preExisting), "pre-existing");
      assert.deepEqual(sorted(fast.fixed), sorted(slow.fixed), "fixed");
    }),
    { numRuns: 300, seed: Number(process.env.HOSTGUARD_PROPERTY_SEED ?? 1121) },
  );
});

test("required-ports by classes equals brute force for a state and the same state after one change", () => {
  fc.assert(
    fc.property(world, world, fc.nat(), fc.boolean(), (w1, w2, pick, remove) => {
      const before = loadState(buildObjects(w1));
      assert.deepEqual(before.rejected, []);
      const candidates = buildObjects(w2).filter((o) => (o as { kind: string }).kind !== "Node");
      const existing = before.state.all().filter((o) => o.kind !== "Node");
      let after = before.state;
      if (remove && existing.length > 0) {
        const victim = existing[pick % existing.length]!;
        after = after.apply({ operation: "DELETE", kind: victim.kind, name: victim.name });
      } else if (candidates.length > 0) {
        const one = loadState([candidates[pick % candidates.length]]).state.all()[0];
        if (one) after = after.apply({ operation: "UPDATE", object: one });
      }
      const fast = classBased(before.state, after);
      const slow = bruteForce(before.state, after);
      assert.deepEqual(sorted(fast.introduced), sorted(slow.introduced), "introduced");
      assert.deepEqual(sorted(fast.preExisting), sorted(slow.preExisting), "pre-existing");
      assert.deepEqual(sorted(fast.fixed), sorted(slow.fixed), "fixed");
    }),
    { numRuns: 300, seed: Number(process.env.HOSTGUARD_PROPERTY_SEED ?? 2026) },
  );
});
