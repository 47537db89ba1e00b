/**
 * A review that cannot be decided within its share of the API server's `?timeout=` gets hostguard's
 * own answer, per mode (ADR 0009). Time is an injected clock that jumps, so nothing here depends on
 * how fast the machine is.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import request from "supertest";
import { StaticStateSource } from "../../src/cluster/state-source.js";
import { defaultConfig, parseConfig } from "../../src/config/index.js";
import type { GuardConfig } from "../../src/config/types.js";
import { loadState } from "../../src/engine/load.js";
import { buildApp } from "../../src/server/app.js";
import { ConfigHolder } from "../../src/server/config-holder.js";
import { decisionBudgetMs, parseGoDuration } from "../../src/server/deadline.js";
import { createMetrics } from "../../src/server/metrics.js";
import { capturedClusterObjects, FIXTURES_DIR } from "../helpers/shared.js";

const quiet = { info() {}, warn() {}, error() {} };

describe("the API server's ?timeout=", () => {
  const durations: [string, number | undefined][] = [
    ["10s", 10_000],
    ["5s", 5_000],
    ["1m30s", 90_000],
    ["500ms", 500],
    ["1.5s", 1_500],
    ["", undefined],
    ["10", undefined],
    ["ten seconds", undefined],
    ["-5s", undefined],
    ["5s;drop", undefined],
  ];
  for (const [text, ms] of durations) {
    test(`parseGoDuration(${JSON.stringify(text)}) = ${ms}`, () => assert.equal(parseGoDuration(text), ms));
  }

  const budgets: [unknown, number][] = [
    ["10s", 8_000], // 80 %
    ["5s", 4_000],
    ["1s", 500], // at least half a second left for the answer
    [undefined, 8_000], // no query: the API's default timeoutSeconds (10)
    ["garbage", 8_000],
    ["10m", 24_000], // the API server waits at most 30 s
    [["5s", "6s"], 8_000], // a repeated query parameter is not a duration
  ];
  for (const [timeout, ms] of budgets) {
    test(`decisionBudgetMs(${JSON.stringify(timeout)}) = ${ms}`, () =>
      assert.equal(decisionBudgetMs(timeout), ms));
  }
});

/** A clock that moves a minute every time it is read: every budget is spent at its first check. */
function racingClock(): () => number {
  let now = 0;
  return () => (now += 60_000);
}

async function review(
  config: GuardConfig,
  file: string,
  edit: (body: Record<string, unknown>) => void = () => {},
) {
  const loaded = loadState(capturedClusterObjects());
  const metrics = createMetrics({
    stateAgeSeconds: () => 0,
    stateSynced: () => true,
    nodesWithoutHostEndpoint: () => 0,
  });
  const records: unknown[] = [];
  const app = buildApp({
    source: new StaticStateSource(loaded.state),
    config: new ConfigHolder(config),
    metrics,
    record: (decision) => records.push(decision),
    log: quiet,
    clock: racingClock(),
  });
  await app.ready();
  try {
    const body = JSON.parse(readFileSync(join(FIXTURES_DIR, "admission", file), "utf8")) as Record<
      string,
      unknown
    >;
    edit(body);
    const res = await request(app.server)
      .post("/validate?timeout=5s")
      .set("content-type", "application/json")
      .send(body);
    const counted = (
      await metrics.registry.getSingleMetricAsString("hostguard_decision_deadline_exceeded_total")
    )
      .split("\n")
      .find((l) => l.startsWith("hostguard_decision_deadline_exceeded_total "));
    return {
      status: res.status,
      response: (res.body as { response: Record<string, unknown> }).response,
      counted,
      records,
    };
  } finally {
    await app.close();
  }
}

function config(doc: object): GuardConfig {
  const c = parseConfig(doc);
  assert.ok(c.ok);
  return c.value;
}

describe("a decision that runs out of time", () => {
  test("enforce: denied with hostguard's own message, counted, recorded", async () => {
    const r = await review(defaultConfig(), "globalnetworkpolicy-update-edit.json");
    assert.equal(r.status, 200);
    assert.equal(r.response.allowed, false);
    const message = (r.response.status as { message: string }).message;
    assert.match(message, /could not finish judging UPDATE GlobalNetworkPolicy .* before its deadline/);
    assert.match(message, /Retry/);
    assert.equal(r.counted, "hostguard_decision_deadline_exceeded_total 1");
    assert.equal(r.records.length, 1);
  });

  test("warn: admitted with a warning that it was not fully checked", async () => {
    const r = await review(config({ mode: "warn" }), "globalnetworkpolicy-update-edit.json");
    assert.equal(r.response.allowed, true);
    assert.ok((r.response.warnings as string[]).some((w) => w.startsWith("not fully checked")));
  });

  test("audit: admitted silently", async () => {
    const r = await review(config({ mode: "audit" }), "globalnetworkpolicy-update-edit.json");
    assert.equal(r.response.allowed, true);
    assert.equal(r.response.warnings, undefined);
    assert.equal(r.counted, "hostguard_decision_deadline_exceeded_total 1");
  });

  test("enforce with an authorised break-glass annotation: admitted as overridden", async () => {
    const r = await review(
      config({ breakGlass: { groups: ["system:masters"] } }),
      "globalnetworkpolicy-update-edit.json",
      (body) => {
        const req = body.request as {
          object: { metadata: { annotations?: Record<string, string> } };
          userInfo: { groups?: string[] };
        };
        req.object.metadata.annotations = {
          ...req.object.metadata.annotations,
          "hostguard.dev/break-glass": "INC-42 restore access",
        };
        req.userInfo.groups = [...(req.userInfo.groups ?? []), "system:masters"];
      },
    );
    assert.equal(r.response.allowed, true);
    assert.equal((r.response.auditAnnotations as Record<string, string>).decision, "overridden");
  });

  test("a kind hostguard does not judge is not affected by the clock", async () => {
    const r = await review(defaultConfig(), "globalnetworkpolicy-update-edit.json", (body) => {
      (body.request as { kind: { kind: string } }).kind.kind = "ConfigMap";
    });
    assert.equal(r.response.allowed, true);
    assert.equal(r.counted, "hostguard_decision_deadline_exceeded_total 0");
  });
});
