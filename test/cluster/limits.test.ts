/**
 * Per-object limits through the public surface (issue 13, points 1–2): a write over a limit is denied
 * with what to do; an object over a limit that is already in the cluster makes the replica not ready
 * with a clear reason — never a crash — and its deletion is admitted. The informer source reads the
 * fake API server; reviews go through POST /validate, readiness through the running server's /readyz.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseConfig } from "../../src/config/index.js";
import { ConfigHolder } from "../../src/server/config-holder.js";
import { admissionReview, GNP_V1, hostPolicy, reviewApp } from "../helpers/review.js";
import { startTestServer } from "../helpers/server.js";
import type { KObject } from "./fake-apiserver.js";
import { cluster, waitFor } from "./harness.js";

const GNPS = "/apis/crd.projectcalico.org/v1/globalnetworkpolicies";

/** 2,500 Log rules: legal to Calico, over hostguard's 2,000 rules per policy. */
const huge = (name: string): KObject =>
  hostPolicy(name, { order: 900, ingress: Array.from({ length: 2500 }, () => ({ action: "Log" })) });

const small: KObject = hostPolicy("small", { order: 950, ingress: [{ action: "Log" }] });

const review = (operation: "CREATE" | "DELETE", name: string, object: unknown, oldObject?: unknown) =>
  admissionReview(operation, GNP_V1, name, object, oldObject);

describe("a write over a limit", () => {
  test("is denied in every mode, saying which limit, the object's count and how to split it", async (t) => {
    const c = await cluster(t);
    for (const mode of ["enforce", "warn", "audit"]) {
      const config = parseConfig({ mode, profiles: ["rancher"] });
      assert.ok(config.ok);
      const { app, post } = await reviewApp(c.source, { config: new ConfigHolder(config.value) });
      const answer = await post(review("CREATE", "big", huge("big")));
      await app.close();
      assert.equal(answer.allowed, false, mode);
      assert.match(
        answer.status!.message,
        /spec\.ingress\+spec\.egress has 2500 rules, over hostguard's limit of 2000: split the rules over several policies/,
      );
      assert.equal(c.source.status().pendingChanges, 0);
    }
  });
});

describe("an object over a limit already in the cluster", () => {
  test("not ready with a clear reason (not a crash); deleting it is admitted; ready again once it is gone", async (t) => {
    const c = await cluster(t);
    const server = await startTestServer(c.source);
    t.after(() => server.close());
    const readyz = async () => {
      const res = await fetch(`http://127.0.0.1:${server.probePort}/readyz`);
      return { status: res.status, body: (await res.json()) as { reason?: string } };
    };
    assert.equal((await readyz()).status, 200);

    // Written before hostguard ran (or while its registration was deleted).
    const stored = c.server.emit(GNPS, "ADDED", huge("big"));
    await waitFor(() => c.source.problem() !== undefined, "the object over the limit", c.source);
    const notReady = await readyz();
    assert.equal(notReady.status, 503);
    assert.match(
      notReady.body.reason!,
      /cannot judge the cluster state: GlobalNetworkPolicy big is over hostguard's limits \(spec\.ingress\+spec\.egress has 2500 rules.*deleting it is admitted/,
    );
    assert.ok(
      c.logs.some(
        (l) => l.level === "error" && /GlobalNetworkPolicy big is over hostguard's limits/.test(l.msg),
      ),
      "logged",
    );
    assert.equal(c.source.current().get("GlobalNetworkPolicy", "big"), undefined, "never in the model");

    const { app, post } = await reviewApp(c.source);
    t.after(() => app.close());
    const other = await post(review("CREATE", "small", small));
    assert.equal(other.allowed, false, "enforce mode cannot judge anything else");
    assert.match(other.status!.message, /cannot judge the cluster state: GlobalNetworkPolicy big/);
    const removal = await post(review("DELETE", "big", null, stored));
    assert.equal(removal.allowed, true, "the way out");
    assert.match(removal.warnings![0]!, /not checked: deleting GlobalNetworkPolicy big/);

    c.server.emit(GNPS, "DELETED", stored);
    await waitFor(() => c.source.problem() === undefined, "the deletion", c.source);
    assert.equal((await readyz()).status, 200);
    assert.equal((await post(review("CREATE", "small", small))).allowed, true);
  });
});
