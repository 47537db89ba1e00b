/**
 * POST /validate with the AdmissionReview bodies a real API server sent (../shared/fixtures/admission),
 * decided against the captured cluster (fixtures/apiserver/list-*.json).
 */
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { FastifyInstance } from "fastify";
import request from "supertest";
import { StaticStateSource, type StateSource } from "../../src/cluster/state-source.js";
import { defaultConfig, parseConfig } from "../../src/config/index.js";
import type { Decision } from "../../src/decision/decide.js";
import type { Change } from "../../src/engine/change.js";
import { loadState } from "../../src/engine/load.js";
import type { ClusterState } from "../../src/engine/state.js";
import { buildApp, buildProbeApp, BODY_LIMIT_BYTES } from "../../src/server/app.js";
import { ConfigHolder } from "../../src/server/config-holder.js";
import { createMetrics } from "../../src/server/metrics.js";
import type { ReviewContext } from "../../src/server/review-handler.js";
import { capturedClusterObjects, FIXTURES_DIR } from "../helpers/shared.js";

const ADMISSION = join(FIXTURES_DIR, "admission");
const captured = loadState(capturedClusterObjects());
const quiet = { info() {}, warn() {}, error() {} };

interface Harness {
  app: FastifyInstance;
  source: StateSource;
  records: { decision: Decision; context: ReviewContext }[];
}

async function harness(opts: { source?: StateSource; config?: ConfigHolder } = {}): Promise<Harness> {
  const source = opts.source ?? new StaticStateSource(captured.state);
  const records: Harness["records"] = [];
  const metrics = createMetrics({
    stateAgeSeconds: () => 0,
    stateSynced: () => source.isSynced(),
    nodesWithoutHostEndpoint: () => 0,
  });
  const app = buildApp({
    source,
    config: opts.config ?? new ConfigHolder(defaultConfig()),
    metrics,
    record: (decision, context) => records.push({ decision, context }),
    log: quiet,
  });
  await app.ready();
  return { app, source, records };
}

function fixture(name: string): { request: { uid: string; dryRun: boolean } } & Record<string, unknown> {
  return JSON.parse(readFileSync(join(ADMISSION, name), "utf8")) as never;
}

/** What hostguard decides for each captured request against the captured cluster. */
const DENIED = new Set([
  "hostendpoint-delete.json", // node-2 would lose its only HostEndpoint
  "hostendpoint-delete-by-alice.json",
  "dry-run-delete.json", // the same delete as a server-side dry run: decided the same way
  "felixconfiguration-update.json", // lower-case "tcp" failsafe entries: Calico's validator rejects them
  "felixconfiguration-create-apply.json",
  "felixconfiguration-update-apply.json",
]);

describe("POST /validate with the captured AdmissionReviews", () => {
  let h: Harness;
  before(async () => {
    assert.deepEqual(captured.rejected, []);
    h = await harness();
  });
  after(() => h.app.close());

  const files = readdirSync(ADMISSION)
    .filter((f) => f.endsWith(".json"))
    .sort();
  test("there are captured reviews to replay", () => assert.ok(files.length >= 25));

  for (const file of files) {
    test(file, async () => {
      const body = fixture(file);
      const res = await request(h.app.server).post("/validate").send(body).expect(200);
      assert.equal(res.body.apiVersion, "admission.k8s.io/v1");
      assert.equal(res.body.kind, "AdmissionReview");
      const response = res.body.response;
      assert.equal(response.uid, body.request.uid, "response.uid echoes request.uid");
      assert.equal(response.allowed, !DENIED.has(file), JSON.stringify(response));
      if (!response.allowed) {
        assert.equal(response.status.code, 403);
        assert.equal(response.status.reason, "Forbidden");
        assert.match(response.status.message, /^hostguard denied /);
      } else {
        assert.equal(response.status, undefined);
      }
      assert.ok(["allowed", "denied", "warned", "overridden"].includes(response.auditAnnotations.decision));
      assert.match(response.auditAnnotations["decision-id"], /^[0-9a-f-]{36}$/);
      assert.equal(
        response.auditAnnotations.violations,
        String(h.records.at(-1)!.decision.violations.length),
      );
      assert.equal(h.records.at(-1)!.context.dryRun, body.request.dryRun === true);
    });
  }

  test("the byte-exact wire body with the API server's headers", async () => {
    const raw = readFileSync(join(ADMISSION, "wire/globalnetworkpolicy-create.body.json"));
    const meta = JSON.parse(
      readFileSync(join(ADMISSION, "wire/globalnetworkpolicy-create.request-line-and-headers.json"), "utf8"),
    ) as {
      url: string;
      headers: Record<string, string>;
    };
    const res = await request(h.app.server)
      .post(meta.url)
      .set("content-type", meta.headers["content-type"]!)
      .set("user-agent", meta.headers["user-agent"]!)
      .set("accept-encoding", meta.headers["accept-encoding"]!)
      .send(raw.toString("utf8"))
      .expect(200);
    assert.equal(res.body.response.allowed, true);
  });

  test("the node-2 denial names the node, the problem and the fix", async () => {
    const res = await request(h.app.server)
      .post("/validate")
      .send(fixture("hostendpoint-delete.json"))
      .expect(200);
    const message: string = res.body.response.status.message;
    assert.match(message, /DELETE HostEndpoint node-2/);
    assert.match(message, /node-2 \(172\.18\.10\.2\) has no HostEndpoint/);
    assert.match(message, /Fix: /);
    assert.equal(res.body.response.auditAnnotations.decision, "denied");
  });
});

describe("dry runs and the pending-change overlay", () => {
  class RecordingSource extends StaticStateSource {
    readonly admitted: Change[] = [];
    override recordAdmitted(change: Change): void {
      this.admitted.push(change);
      super.recordAdmitted(change);
    }
  }

  test("a dry run is decided the same way but never changes the state", async () => {
    const source = new RecordingSource(captured.state);
    const h = await harness({ source });
    const dry = fixture("dry-run-create.json");
    const res = await request(h.app.server).post("/validate").send(dry).expect(200);
    assert.equal(res.body.response.allowed, true);
    assert.deepEqual(source.admitted, []);
    assert.equal(h.records[0]!.context.dryRun, true);
    await h.app.close();
  });

  test("an admitted change is overlaid, so the next review is judged against it", async () => {
    const source = new RecordingSource(captured.state);
    const h = await harness({ source });
    // Deleting node-3-eth1 is fine, and is recorded; deleting node-2 is denied, and is not.
    await request(h.app.server).post("/validate").send(fixture("hostendpoint-delete.json")).expect(200);
    assert.deepEqual(source.admitted, []);
    const create = fixture("hostendpoint-create-apply.json");
    await request(h.app.server).post("/validate").send(create).expect(200);
    assert.equal(source.admitted.length, 1);
    assert.ok((source.current() as ClusterState).get("HostEndpoint", "node-3-eth1"));
    await h.app.close();
  });
});

describe("malformed requests get HTTP 400 with a one-line JSON error", () => {
  let h: Harness;
  before(async () => (h = await harness()));
  after(() => h.app.close());

  const valid = () => fixture("globalnetworkpolicy-create.json");
  const corpus: [string, string | object][] = [
    ["not JSON", "{ this is not json"],
    ["empty body", ""],
    ["a JSON array", "[1,2,3]"],
    ["a JSON string", '"AdmissionReview"'],
    ["wrong apiVersion", { ...valid(), apiVersion: "admission.k8s.io/v1beta1" }],
    ["wrong kind", { ...valid(), kind: "TokenReview" }],
    ["no request", { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" }],
    ["no uid", { ...valid(), request: { ...(valid().request as object), uid: undefined } }],
    [
      "bad request.kind",
      { ...valid(), request: { ...(valid().request as object), kind: "GlobalNetworkPolicy" } },
    ],
    ["bad operation", { ...valid(), request: { ...(valid().request as object), operation: "PATCH" } }],
    [
      "a request that is a string",
      { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: "x" },
    ],
  ];
  for (const [name, body] of corpus) {
    test(name, async () => {
      const res = await request(h.app.server)
        .post("/validate")
        .set("content-type", "application/json")
        .send(typeof body === "string" ? body : JSON.stringify(body))
        .expect(400);
      assert.equal(typeof res.body.error, "string");
      assert.ok(!res.body.error.includes("\n"));
    });
  }

  test("a body over the limit is refused with 413, not a crash", async () => {
    const huge = JSON.stringify({ ...valid(), padding: "x".repeat(BODY_LIMIT_BYTES) });
    const res = await request(h.app.server)
      .post("/validate")
      .set("content-type", "application/json")
      .send(huge)
      .expect(413);
    assert.match(res.body.error, /larger than/);
  });

  test("two 1.5 MiB objects fit", async () => {
    const body = valid() as unknown as { request: { object: Record<string, unknown>; oldObject?: unknown } };
    const pad = "y".repeat(1_400_000);
    const big = {
      ...body,
      request: {
        ...body.request,
        object: { ...body.request.object, metadata: { name: "allow-bgp", annotations: { pad } } },
        oldObject: { pad },
      },
    };
    await request(h.app.server).post("/validate").send(big).expect(200);
  });

  test("another path is a JSON 404", async () => {
    const res = await request(h.app.server).post("/mutate").send({}).expect(404);
    assert.match(res.body.error, /POST \/validate/);
  });

  test("a kind hostguard does not guard is allowed (and recorded)", async () => {
    const body = valid() as { request: Record<string, unknown> };
    const cm = {
      ...body,
      request: { ...body.request, kind: { group: "", version: "v1", kind: "ConfigMap" } },
    };
    const res = await request(h.app.server).post("/validate").send(cm).expect(200);
    assert.equal(res.body.response.allowed, true);
    assert.equal(h.records.at(-1)!.context.kind, "ConfigMap");
  });
});

describe("not ready: the state has not synced or the config is invalid", () => {
  const unsynced: StateSource = Object.assign(new StaticStateSource(captured.state), {
    isSynced: () => false,
  });

  test("enforce mode denies with a clear message", async () => {
    const h = await harness({ source: unsynced });
    const res = await request(h.app.server)
      .post("/validate")
      .send(fixture("globalnetworkpolicy-create.json"))
      .expect(200);
    assert.equal(res.body.response.allowed, false);
    assert.match(res.body.response.status.message, /not finished loading the cluster state/);
    await h.app.close();
  });

  test("warn mode admits with a warning", async () => {
    const warn = parseConfig({ mode: "warn" });
    assert.ok(warn.ok);
    const h = await harness({ source: unsynced, config: new ConfigHolder(warn.value) });
    const res = await request(h.app.server)
      .post("/validate")
      .send(fixture("globalnetworkpolicy-create.json"))
      .expect(200);
    assert.equal(res.body.response.allowed, true);
    assert.match(res.body.response.warnings[0], /not checked/);
    await h.app.close();
  });

  test("no valid config: enforce-mode denial that says so", async () => {
    const holder = new ConfigHolder();
    assert.ok(holder.load("mode: sometimes\n").length > 0);
    const h = await harness({ config: holder });
    const res = await request(h.app.server)
      .post("/validate")
      .send(fixture("globalnetworkpolicy-create.json"))
      .expect(200);
    assert.equal(res.body.response.allowed, false);
    assert.match(res.body.response.status.message, /no valid config \(mode:/);
    await h.app.close();
  });
});

describe("probes and metrics", () => {
  test("/readyz follows the state sync; /healthz is always up; /metrics has the guard's metrics", async () => {
    let synced = false;
    const source: StateSource = Object.assign(new StaticStateSource(captured.state), {
      isSynced: () => synced,
    });
    const metrics = createMetrics({
      stateAgeSeconds: () => 42,
      stateSynced: () => synced,
      nodesWithoutHostEndpoint: () => 1,
    });
    const holder = new ConfigHolder(defaultConfig());
    const app = buildApp({ source, config: holder, metrics, record: () => {}, log: quiet });
    const probe = buildProbeApp({
      ready: () => (synced ? { ok: true } : { ok: false, reason: "cluster state not synced yet" }),
      metrics: async () => ({
        contentType: metrics.registry.contentType,
        body: await metrics.registry.metrics(),
      }),
    });
    await app.ready();
    await probe.ready();
    await request(probe.server).get("/healthz").expect(200);
    const notReady = await request(probe.server).get("/readyz").expect(503);
    assert.match(notReady.body.reason, /not synced/);
    synced = true;
    await request(probe.server).get("/readyz").expect(200);

    await request(app.server).post("/validate").send(fixture("hostendpoint-delete.json")).expect(200);
    const text = (await request(probe.server).get("/metrics").expect(200)).text;
    assert.match(
      text,
      /hostguard_decisions_total\{kind="HostEndpoint",operation="DELETE",result="denied"\} 1/,
    );
    assert.match(text, /hostguard_decision_duration_seconds_bucket/);
    assert.match(text, /hostguard_findings_total\{check="node-coverage",category="violation"\} 1/);
    assert.match(text, /hostguard_state_age_seconds 42/);
    assert.match(text, /hostguard_nodes_without_hostendpoint 1/);
    assert.match(text, /hostguard_config_reload_failures_total 0/);
    await app.close();
    await probe.close();
  });
});
