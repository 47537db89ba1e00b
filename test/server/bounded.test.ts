/**
 * Issue 13, point 5: what a request can make the webhook write stays small. Metric labels come
 * from closed sets; the HTTP answer and the audit line are capped, keeping their beginning.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, test } from "node:test";
import { toAuditRecord } from "../../src/audit/from-decision.js";
import { parseAuditLine } from "../../src/audit/line.js";
import { createAuditSink } from "../../src/audit/sink.js";
import { MAX_MESSAGE_CHARS } from "../../src/admission/review.js";
import { StaticStateSource } from "../../src/cluster/state-source.js";
import { defaultConfig } from "../../src/config/index.js";
import { loadState } from "../../src/engine/load.js";
import { buildApp } from "../../src/server/app.js";
import { ConfigHolder } from "../../src/server/config-holder.js";
import { createMetrics } from "../../src/server/metrics.js";
import type { DecisionRecorder } from "../../src/server/review-handler.js";
import { capturedClusterObjects, FIXTURES_DIR } from "../helpers/shared.js";

const state = loadState(capturedClusterObjects()).state;
const quiet = { info() {}, warn() {}, error() {} };

function fixture(name: string): { request: Record<string, unknown> } & Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES_DIR, "admission", name), "utf8")) as never;
}

function app(record: DecisionRecorder = () => {}) {
  const metrics = createMetrics({
    stateAgeSeconds: () => 0,
    stateSynced: () => true,
    nodesWithoutHostEndpoint: () => 0,
  });
  const server = buildApp({
    source: new StaticStateSource(state),
    config: new ConfigHolder(defaultConfig()),
    metrics,
    record,
    log: quiet,
  });
  return { server, metrics };
}

describe("bounded output", () => {
  test('30,000 distinct forged kinds keep /metrics small: unknown kinds are counted as kind="other"', async () => {
    const { server, metrics } = app();
    const base = fixture("globalnetworkpolicy-create.json");
    const before = (await metrics.registry.metrics()).length;
    for (let i = 0; i < 30_000; i++) {
      const body = {
        ...base,
        request: {
          ...base.request,
          uid: `u-${i}`,
          kind: { group: "crd.projectcalico.org", version: "v1", kind: `Forged${i}` },
        },
      };
      const res = await server.inject({ method: "POST", url: "/validate", payload: body });
      assert.equal(res.statusCode, 200);
    }
    const text = await metrics.registry.metrics();
    assert.match(text, /hostguard_decisions_total\{kind="other",operation="CREATE",result="allowed"\} 30000/);
    assert.doesNotMatch(text, /Forged/);
    // one series of decisions and one histogram (15 series) more than before, whatever the count
    assert.ok(text.length - before < 4096, `grew by ${text.length - before} bytes`);
    await server.close();
  });

  // Under the per-object limits (a 2 MB object is denied by them before validation, see
  // test/cluster/limits.test.ts): 2,000 bad failsafe entries still make 2,000 findings.
  test("an invalid FelixConfiguration with 2,000 bad entries: a capped denial that keeps its first findings, a bounded audit line", async () => {
    let line = "";
    const out = new Writable({
      write(chunk: Buffer, _enc, done) {
        line += chunk.toString("utf8");
        done();
      },
    });
    const sink = createAuditSink({ stream: out });
    const { server } = app((decision, context) =>
      sink.write(toAuditRecord({ ...context, decision, includeObjects: true })),
    );
    const body = fixture("felixconfiguration-update.json") as {
      request: { object: { spec: Record<string, unknown> } };
    };
    const bad = (base: number) =>
      Array.from({ length: 1000 }, (_, i) => ({ port: base + i, protocol: "tcpx" }));
    body.request.object.spec.failsafeInboundHostPorts = bad(1000);
    body.request.object.spec.failsafeOutboundHostPorts = bad(3000);
    const payload = JSON.stringify(body);
    assert.ok(payload.length > 32 * 1024, `request of ${payload.length} bytes`);

    const res = await server.inject({
      method: "POST",
      url: "/validate",
      payload,
      headers: { "content-type": "application/json" },
    });
    assert.equal(res.statusCode, 200);
    const response = (res.json() as { response: { allowed: boolean; status: { message: string } } }).response;
    assert.equal(response.allowed, false);
    const message = response.status.message;
    assert.ok(message.length < MAX_MESSAGE_CHARS + 100, `message of ${message.length} characters`);
    assert.match(
      message,
      /^hostguard denied UPDATE FelixConfiguration default: Calico would reject it\.\n1\. /,
    );
    assert.match(message, /… and \d+ more characters$/);
    assert.ok(res.body.length < 64 * 1024, `answer of ${res.body.length} bytes`);

    await sink.close();
    assert.ok(line.length < 64 * 1024, `audit line of ${line.length} bytes`);
    const record = parseAuditLine(line.trimEnd());
    assert.ok(record, "the bounded line is still a record review reads");
    assert.equal(record.decision, "denied");
    assert.equal(record.violations.length, 20);
    assert.ok((record.truncated?.violations ?? 0) > 1_900, JSON.stringify(record.truncated));
    assert.equal(record.truncated?.object, true);
    const object = record.object as { truncated: boolean; bytes: number; sha256: string };
    assert.equal(object.truncated, true);
    assert.ok(object.bytes > 32 * 1024);
    assert.match(object.sha256, /^[0-9a-f]{64}$/);
    await server.close();
  });
});
