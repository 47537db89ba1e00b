import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import type { AuditRecord } from "../../src/audit/record.js";
import {
  byTime,
  kindMatches,
  matchesFilter,
  parseReviewFilter,
  parseTimeBound,
  summarize,
  violationLabel,
  type ReviewFilter,
  type ReviewFlags,
} from "../../src/audit/review.js";
import {
  DECISION_QUOTA,
  EXPECTED_TOP_VIOLATIONS,
  generateLog,
  NOW,
  STEP_MS,
  T0,
  TOTAL,
  type Planned,
} from "./generate.js";

const { records, plan } = generateLog();

function filter(flags: ReviewFlags): ReviewFilter {
  const f = parseReviewFilter(flags, NOW);
  assert.ok(f.ok, f.ok ? "" : f.error);
  return f.value;
}

function select(flags: ReviewFlags): AuditRecord[] {
  const f = filter(flags);
  return records.filter((r) => matchesFilter(r, f));
}

function countBy(planned: readonly Planned[]) {
  const c = { allowed: 0, denied: 0, overridden: 0, warned: 0 };
  for (const p of planned) c[p.decision]++;
  return c;
}

describe("review summary of a generated log", () => {
  const s = summarize(records, { skippedLines: 3 });

  test("counts by decision, dry runs, time range", () => {
    assert.equal(s.total, TOTAL);
    assert.deepEqual(s.decisions, DECISION_QUOTA);
    assert.equal(s.dryRuns, TOTAL / 10);
    assert.equal(s.skippedLines, 3);
    assert.equal(s.from, "2024-05-01T00:00:00.000Z");
    assert.equal(s.to, new Date(T0 + (TOTAL - 1) * STEP_MS).toISOString());
  });

  test("top denied objects and users", () => {
    assert.deepEqual(s.topDeniedObjects, [
      { kind: "GlobalNetworkPolicy", name: "allow-cluster-internal", count: 55 },
      { kind: "HostEndpoint", name: "node-2", count: 35 },
      { kind: "FelixConfiguration", name: "default", count: 20 },
      { kind: "GlobalNetworkSet", name: "internal", count: 10 },
    ]);
    assert.deepEqual(s.topDeniedUsers, [
      { user: "alice", count: 60 },
      { user: "bob", count: 35 },
      { user: "carol", count: 25 },
    ]);
  });

  test("most violated requirements: one count per decision, however many findings share the label", () => {
    assert.deepEqual(s.topViolations, EXPECTED_TOP_VIOLATIONS);
    assert.deepEqual(summarize(records, { top: 2 }).topViolations, EXPECTED_TOP_VIOLATIONS.slice(0, 2));
  });

  test("every override, oldest first, with time, user, object and reason", () => {
    assert.equal(s.overrides.length, DECISION_QUOTA.overridden);
    const planned = plan.filter((p) => p.decision === "overridden");
    s.overrides.forEach((o, i) => {
      const p = planned[i]!;
      assert.equal(o.time, new Date(T0 + p.index * STEP_MS).toISOString());
      assert.equal(o.user, p.user);
      assert.equal(`${o.kind}/${o.name}`, `${p.kind}/${p.name}`);
      assert.equal(o.reason, `maintenance window #${i}`);
      assert.equal(o.dryRun, p.dryRun);
      assert.deepEqual(o.violations, ["required-ports rancher UDP 8472"]);
    });
  });

  test("the same records in another order give the same summary (apart from override order)", () => {
    const reversed = summarize([...records].reverse(), { skippedLines: 3 });
    assert.deepEqual({ ...reversed, overrides: [] }, { ...s, overrides: [] });
    assert.deepEqual(reversed.overrides, s.overrides, "overrides are sorted by time");
  });

  test("an empty log", () => {
    const empty = summarize([]);
    assert.equal(empty.total, 0);
    assert.equal(empty.from, null);
    assert.deepEqual(empty.overrides, []);
    assert.deepEqual(empty.topViolations, []);
  });
});

describe("review filters", () => {
  test("--since 1h with a fixed clock: the last hour (inclusive)", () => {
    const got = select({ since: "1h" });
    const start = TOTAL - 3600_000 / STEP_MS; // record 280 is exactly one hour before NOW
    assert.deepEqual(
      got.map((r) => r.decisionId),
      plan.filter((p) => p.index >= start).map((p) => `d-${String(p.index).padStart(4, "0")}`),
    );
    assert.deepEqual(summarize(got).decisions, countBy(plan.filter((p) => p.index >= start)));
    assert.equal(select({ since: "30m" }).length, 60);
    assert.equal(select({ since: "1h30m" }).length, 180);
    assert.equal(select({ since: "2d" }).length, TOTAL);
  });

  test("--since/--until as RFC 3339 (any offset) and relative", () => {
    const got = select({ since: "2024-05-01T01:00:00Z", until: "2024-05-01T03:00:00+01:00" });
    // 01:00Z is record 120; 03:00+01:00 is 02:00Z, record 240, inclusive
    assert.deepEqual([got[0]!.decisionId, got.at(-1)!.decisionId, got.length], ["d-0120", "d-0240", 121]);
    assert.equal(select({ until: "3h" }).length, 1 + Math.floor((TOTAL * STEP_MS - 3 * 3600_000) / STEP_MS));
    assert.equal(select({ since: "2024-05-02" }).length, 0, "a bare date is midnight UTC");
  });

  test("--decision, --user, --kind (kubectl spellings), --name, combined", () => {
    assert.equal(select({ decision: "denied" }).length, DECISION_QUOTA.denied);
    assert.equal(select({ decision: "Overridden" }).length, DECISION_QUOTA.overridden);
    assert.equal(select({ decision: "denied", user: "alice" }).length, 60);
    for (const kind of [
      "HostEndpoint",
      "hostendpoint",
      "hostendpoints",
      "hostendpoints.crd.projectcalico.org",
      "HEP",
    ]) {
      assert.equal(select({ kind }).length, plan.filter((p) => p.kind === "HostEndpoint").length, kind);
    }
    assert.equal(select({ kind: "globalnetworkpolicies", decision: "denied" }).length, 55);
    assert.equal(select({ kind: "gnp", name: "allow-cluster-internal" }).length, 55);
    assert.equal(select({ name: "default" }).length, plan.filter((p) => p.name === "default").length);
    const dave = select({ user: "dave", since: "1h" });
    assert.deepEqual(
      dave.map((r) => r.decisionId),
      plan
        .filter((p) => p.user === "dave" && p.index >= 280)
        .map((p) => `d-${String(p.index).padStart(4, "0")}`),
    );
  });

  test("bad values are reasons, not exceptions", () => {
    const bad: [ReviewFlags, RegExp][] = [
      [{ since: "yesterday" }, /--since wants a duration/],
      [{ since: "1 h" }, /--since/],
      [{ since: "-1h" }, /--since/],
      [{ until: "2024-02-30T00:00:00Z" }, /--until/],
      [{ since: "2024-05-01T25:00:00Z" }, /--since/],
      [{ since: "2024-05-01T10:00:00" }, /--since/], // no offset: ambiguous
      [{ since: "1h", until: "2h" }, /is after --until/],
      [{ decision: "rejected" }, /--decision must be one of allowed, denied, overridden, warned/],
      [{ user: " " }, /--user must not be empty/],
      [{ kind: "" }, /--kind must not be empty/],
    ];
    for (const [flags, why] of bad) {
      const f = parseReviewFilter(flags, NOW);
      assert.ok(!f.ok, JSON.stringify(flags));
      assert.match(f.error, why);
      assert.ok(!f.error.includes("\n"), "one line");
    }
  });
});

describe("review building blocks", () => {
  test("time bounds", () => {
    const now = new Date("2024-05-01T12:00:00Z");
    assert.equal(parseTimeBound("90m", now)?.toISOString(), "2024-05-01T10:30:00.000Z");
    assert.equal(parseTimeBound("1w", now)?.toISOString(), "2024-04-24T12:00:00.000Z");
    assert.equal(parseTimeBound("500ms", now)?.toISOString(), "2024-05-01T11:59:59.500Z");
    assert.equal(
      parseTimeBound("2024-05-01t10:00:00.123456z", now)?.toISOString(),
      "2024-05-01T10:00:00.123Z",
    );
    assert.equal(parseTimeBound("2024-05-01 10:00:00-05:30", now)?.toISOString(), "2024-05-01T15:30:00.000Z");
    assert.equal(parseTimeBound("2024-02-29", now)?.toISOString(), "2024-02-29T00:00:00.000Z");
    assert.equal(parseTimeBound("2023-02-29", now), undefined);
    assert.equal(parseTimeBound("", now), undefined);
    assert.equal(parseTimeBound("1y", now), undefined);
  });

  test("kinds", () => {
    assert.ok(kindMatches("globalnetworkpolicies", "GlobalNetworkPolicy"));
    assert.ok(kindMatches("GlobalNetworkPolicy", "GlobalNetworkPolicy"));
    assert.ok(kindMatches("felixconfigurations.projectcalico.org", "FelixConfiguration"));
    assert.ok(kindMatches("kubecontrollersconfigurations", "KubeControllersConfiguration"));
    assert.ok(kindMatches("tiers", "Tier"));
    assert.ok(kindMatches("globalnetworksets", "GlobalNetworkSet"));
    assert.ok(!kindMatches("hostendpoint", "GlobalNetworkPolicy"));
    assert.ok(!kindMatches("policies", "GlobalNetworkPolicy"));
  });

  test("violation labels", () => {
    assert.equal(
      violationLabel({
        check: "required-ports",
        requirement: "rancher",
        protocol: "TCP",
        ports: "10250",
        from: "n1",
        message: "m",
      }),
      "required-ports rancher TCP 10250",
    );
    assert.equal(violationLabel({ check: "node-coverage", node: "n2", message: "m" }), "node-coverage n2");
    assert.equal(
      violationLabel({ check: "failsafe-ports", protocol: "TCP", ports: "22", node: "n2", message: "m" }),
      "failsafe-ports TCP 22",
    );
    assert.equal(violationLabel({ check: "calico-valid", message: "spec.order: bad" }), "calico-valid");
  });

  test("byTime is stable and chronological", () => {
    const shuffled = [records[5]!, records[1]!, { ...records[3]!, time: records[1]!.time }, records[0]!];
    assert.deepEqual(
      byTime(shuffled).map((r) => r.decisionId),
      ["d-0000", "d-0001", "d-0003", "d-0005"],
    );
  });

  test("property: a filtered summary adds up (any seed, any filter)", () => {
    const flags = fc.record(
      {
        since: fc.constantFrom("10m", "1h", "2h", "2024-05-01T01:30:00Z"),
        decision: fc.constantFrom("allowed", "denied", "overridden", "warned"),
        user: fc.constantFrom("alice", "bob", "carol", "dave", "oncall-1"),
        kind: fc.constantFrom("hostendpoints", "gnp", "FelixConfiguration", "tier"),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), flags, (seed, f) => {
        const log = generateLog(seed);
        const parsed = parseReviewFilter(f, NOW);
        assert.ok(parsed.ok);
        const got = log.records.filter((r) => matchesFilter(r, parsed.value));
        const s = summarize(got);
        const d = s.decisions;
        assert.equal(d.allowed + d.denied + d.overridden + d.warned, s.total);
        assert.equal(s.overrides.length, d.overridden);
        assert.ok(s.topDeniedUsers.reduce((n, u) => n + u.count, 0) <= d.denied);
        if (f.decision !== undefined) assert.equal(d[f.decision as keyof typeof d], s.total);
        for (const v of s.topViolations) assert.ok(v.denied <= v.count && v.count <= s.total);
      }),
      { numRuns: 40 },
    );
  });
});
