/**
 * Forged AdmissionReviews (issue 13, point 3) through the public surface: POST /validate of the app
 * (buildApp) deciding against the informer-backed source, which reads the recorded cluster from the
 * fake API server. Whatever reaches the webhook port must not change what the guard believes in a way
 * that admits a real lock-out. No sleeps: every wait polls for an observable condition, bounded.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test, type TestContext } from "node:test";
import type { GroupVersionKind } from "../../src/admission/review.js";
import type { ClusterSourceOptions } from "../../src/cluster/informer-source.js";
import { parseConfig } from "../../src/config/index.js";
import { ConfigHolder } from "../../src/server/config-holder.js";
import { admissionReview, GNP_V1 as GNP, hostPolicy, reviewApp } from "../helpers/review.js";
import { APISERVER_DIR, type KObject } from "./fake-apiserver.js";
import { cluster, names, waitFor, type Cluster } from "./harness.js";

const V1 = "/apis/crd.projectcalico.org/v1";
const GNPS = `${V1}/globalnetworkpolicies`;
const HEP: GroupVersionKind = { group: "crd.projectcalico.org", version: "v1", kind: "HostEndpoint" };
const NODE: GroupVersionKind = { group: "", version: "v1", kind: "Node" };

function recorded(file: string): KObject[] {
  const list = JSON.parse(readFileSync(join(APISERVER_DIR, file), "utf8")) as {
    apiVersion: string;
    kind: string;
    items: KObject[];
  };
  return list.items.map((i) => ({ apiVersion: list.apiVersion, kind: list.kind.replace(/List$/, ""), ...i }));
}

const internal = recorded("list-globalnetworkpolicies.json").find(
  (p) => p.metadata.name === "allow-inbound-cluster-internal",
)!;
const node3 = recorded("list-nodes.json").find((n) => n.metadata.name === "node-3")!;
const hep3 = recorded("list-hostendpoints.json").find((h) => h.metadata.name === "node-3")!;

/** The real "drop TCP 10250" update of the cluster-internal allow policy: alone, it locks kubelet out. */
const without10250 = structuredClone(internal) as KObject & {
  spec: { ingress: { destination: { ports: unknown[] } }[] };
};
without10250.spec.ingress[0]!.destination.ports = without10250.spec.ingress[0]!.destination.ports.filter(
  (p) => p !== 10250,
);

/** A policy that allows everything into the hosts, ahead of every other (what an attacker would forge). */
function allowAll(name: string): KObject {
  return hostPolicy(name, {
    order: 1,
    preDNAT: true,
    applyOnForward: true,
    types: ["Ingress"],
    ingress: [{ action: "Allow" }],
  });
}

async function webhook(
  t: TestContext,
  opts: { confirmWaitMs?: number; source?: Partial<ClusterSourceOptions> } = {},
) {
  const c = await cluster(t, { source: opts.source });
  const config = parseConfig({ profiles: ["rancher"] });
  assert.ok(config.ok);
  const { app, post } = await reviewApp(c.source, {
    config: new ConfigHolder(config.value),
    confirmWaitMs: opts.confirmWaitMs,
  });
  t.after(() => app.close());
  return { c, post };
}

const dropKubelet = () =>
  admissionReview(
    "UPDATE",
    GNP,
    internal.metadata.name,
    structuredClone(without10250),
    structuredClone(internal),
  );

describe("a forged CREATE of an allow-all policy", () => {
  test("does not make the real 'drop TCP 10250' update admitted", async (t) => {
    const { c, post } = await webhook(t, { confirmWaitMs: 100 });
    assert.equal((await post(dropKubelet())).allowed, false, "alone, the update locks kubelet out");

    const forged = await post(admissionReview("CREATE", GNP, "allow-all", allowAll("allow-all")));
    assert.equal(forged.allowed, true, "nothing tells a forged CREATE from a real one");
    assert.equal(c.source.status().pendingChanges, 1, "it is overlaid");

    const real = await post(dropKubelet());
    assert.equal(real.allowed, false, "judged without the change the API server never showed");
    assert.match(real.status!.message, /TCP 10250/);
    assert.match(real.status!.message, /safe only together with CREATE GlobalNetworkPolicy allow-all/);
    assert.deepEqual(names(c.source, "GlobalNetworkPolicy").sort(), [
      "allow-all",
      "allow-inbound-cluster-internal",
      "allow-outbound-external",
    ]);
  });

  test("a real CREATE is relied on once the informer shows it (kubectl apply -f dir/ still works)", async (t) => {
    const { c, post } = await webhook(t, { confirmWaitMs: 60_000 });
    assert.equal(
      (await post(admissionReview("CREATE", GNP, "allow-all", allowAll("allow-all")))).allowed,
      true,
    );
    const pending = post(dropKubelet());
    // The API server stores the first object; its watch event arrives while the second review waits.
    c.server.emit(GNPS, "ADDED", allowAll("allow-all"));
    assert.equal((await pending).allowed, true);
    assert.deepEqual(
      c.source.unconfirmed()?.changes,
      [`UPDATE GlobalNetworkPolicy ${internal.metadata.name}`],
      "the CREATE is confirmed by the informer; the UPDATE now waits for its own event",
    );
  });

  test("repeating the forged CREATE does not keep it overlaid past the TTL of the first", async (t) => {
    const { c, post } = await webhook(t, { source: { overlayTtlMs: 30_000 } });
    await post(admissionReview("CREATE", GNP, "allow-all", allowAll("allow-all")));
    c.clock.advance(20_000);
    await post(admissionReview("CREATE", GNP, "allow-all", allowAll("allow-all")));
    assert.equal(c.source.status().pendingChanges, 1);
    c.clock.advance(10_000);
    c.source.current();
    assert.equal(c.source.status().pendingChanges, 0, "expired 30 s after the first write, not the last");
    assert.equal(c.source.current().get("GlobalNetworkPolicy", "allow-all"), undefined);
  });
});

describe("a forged DELETE whose oldObject is a Node", () => {
  test("is denied and does not remove node-3; the real DELETE of HostEndpoint node-3 stays denied", async (t) => {
    const { c, post } = await webhook(t);
    const forged = await post(admissionReview("DELETE", HEP, "node-3", null, node3));
    assert.equal(forged.allowed, false);
    assert.match(forged.status!.message, /request is for a HostEndpoint but its oldObject says Node/);
    assert.equal(c.source.status().pendingChanges, 0);
    assert.ok(names(c.source, "Node").includes("node-3"));

    const real = await post(admissionReview("DELETE", HEP, "node-3", null, hep3));
    assert.equal(real.allowed, false, "node-3 would lose its only HostEndpoint");
    assert.match(real.status!.message, /node-3/);
  });

  test("a DELETE of a Node (a kind hostguard does not guard) is admitted and never touches the overlay", async (t) => {
    const { c, post } = await webhook(t);
    assert.equal((await post(admissionReview("DELETE", NODE, "node-3", null, node3))).allowed, true);
    assert.equal(c.source.status().pendingChanges, 0);
    assert.ok(names(c.source, "Node").includes("node-3"));
    assert.equal((await post(admissionReview("DELETE", HEP, "node-3", null, hep3))).allowed, false);
  });
});

test("a review that says GlobalNetworkPolicy whose object says Pod is denied, not evaluated as a Pod", async (t) => {
  const { c, post } = await webhook(t);
  const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "x" }, spec: { selector: "all(" } };
  const answer = await post(admissionReview("CREATE", GNP, "x", pod));
  assert.equal(answer.allowed, false);
  assert.match(answer.status!.message, /request is for a GlobalNetworkPolicy but its object says Pod/);
  assert.equal(c.source.status().pendingChanges, 0);
});

describe("overlay entries leave as soon as the informer reports the object", () => {
  async function updated(c: Cluster, order: number): Promise<void> {
    const stored = c.server.items(GNPS).find((p) => p.metadata.name === "allow-outbound-external")!;
    c.server.emit(GNPS, "MODIFIED", { ...stored, spec: { ...(stored.spec as object), order } });
    await waitFor(
      () => c.source.current().get("GlobalNetworkPolicy", "allow-outbound-external")?.order === order,
      `order ${order} from the informer`,
      c.source,
    );
  }

  test("a newer resourceVersion with other content replaces the admitted content at once", async (t) => {
    const { c, post } = await webhook(t);
    const stored = c.server.items(GNPS).find((p) => p.metadata.name === "allow-outbound-external")!;
    const admitted = { ...structuredClone(stored), spec: { ...(stored.spec as object), order: 11 } };
    assert.equal(
      (await post(admissionReview("UPDATE", GNP, "allow-outbound-external", admitted, stored))).allowed,
      true,
    );
    assert.equal(c.source.status().pendingChanges, 1);
    assert.equal(c.source.current().get("GlobalNetworkPolicy", "allow-outbound-external")?.order, 11);
    // Someone else's write lands instead of ours: the informer knows better than the overlay now.
    await updated(c, 12);
    assert.equal(c.source.status().pendingChanges, 0);
  });

  test("the deletion of an object an admitted CREATE wrote ends its entry", async (t) => {
    const { c, post } = await webhook(t);
    assert.equal(
      (await post(admissionReview("CREATE", GNP, "allow-all", allowAll("allow-all")))).allowed,
      true,
    );
    const stored = c.server.emit(GNPS, "ADDED", allowAll("allow-all"));
    c.server.emit(GNPS, "DELETED", stored);
    await waitFor(
      () => c.source.current().get("GlobalNetworkPolicy", "allow-all") === undefined,
      "the deletion",
      c.source,
    );
    assert.equal(c.source.status().pendingChanges, 0);
  });
});
