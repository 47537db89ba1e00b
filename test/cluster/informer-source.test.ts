/**
 * The informer-backed StateSource against a fake API server that speaks the recorded list/watch wire
 * format (fake-apiserver.ts; recordings in ../shared/fixtures/apiserver). No real cluster, no sleeps:
 * every wait polls for an observable condition and is bounded.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { InformerStatus } from "../../src/cluster/informer-source.js";
import { sameContent } from "../../src/cluster/overlay.js";
import { parseConfig } from "../../src/config/index.js";
import type { GuardConfig } from "../../src/config/types.js";
import { decide, type DecisionRequest } from "../../src/decision/decide.js";
import { loadState } from "../../src/engine/load.js";
import { RESOURCE_KINDS } from "../../src/calico/types.js";
import { capturedClusterObjects } from "../helpers/shared.js";
import { APISERVER_DIR, fixtureLines, statusBody, type KObject } from "./fake-apiserver.js";
import { cluster, names, waitFor, type Cluster } from "./harness.js";

const NODES = "/api/v1/nodes";
const V1 = "/apis/crd.projectcalico.org/v1";
const HEPS = `${V1}/hostendpoints`;
const GNPS = `${V1}/globalnetworkpolicies`;
const TIERS = `${V1}/tiers`;

function kindStatus(c: Cluster, kind: string): InformerStatus {
  const s = c.source.status().kinds.find((k) => k.kind === kind);
  assert.ok(s, `no informer for ${kind}`);
  return s;
}

describe("initial sync", () => {
  test("not ready until every kind has been listed once; then the state is the recorded cluster", async (t) => {
    let release = () => {};
    const c = await cluster(t, {
      waitForSync: false,
      beforeStart: (server) => (release = server.holdLists(GNPS)),
    });
    await waitFor(
      () => c.source.status().kinds.filter((k) => k.synced).length === 6,
      "six kinds synced",
      c.source,
    );
    assert.equal(c.source.isSynced(), false, "one list is still outstanding");
    assert.equal(kindStatus(c, "GlobalNetworkPolicy").synced, false);
    c.clock.advance(3000);
    assert.equal(c.source.ageSeconds(), 3, "before the first sync the age counts from start()");

    release();
    assert.equal(await c.source.waitForSync(5000), true);
    await waitFor(
      () => c.source.status().kinds.every((k) => k.connected || !k.served),
      "every watch to be open",
      c.source,
    );
    assert.equal(c.source.ageSeconds(), 0, "in sync while every watch is open");

    const expected = loadState(capturedClusterObjects()).state;
    const actual = c.source.current();
    for (const kind of RESOURCE_KINDS) {
      assert.deepEqual(
        names(c.source, kind),
        expected.list(kind).map((r) => r.name),
        kind,
      );
      for (const r of expected.list(kind)) {
        const got = actual.get(kind, r.name);
        assert.ok(got && sameContent(got, r), `${kind} ${r.name} as recorded`);
      }
    }
    // The lists were asked for in pages, and every watch resumed from the list's resourceVersion with bookmarks.
    for (const path of [NODES, HEPS, GNPS]) {
      assert.equal(c.server.listRequests(path)[0]?.query.get("limit"), "500", path);
      const watch = c.server.watchRequests(path)[0];
      assert.equal(watch?.query.get("resourceVersion"), "411", path);
      assert.equal(watch?.query.get("allowWatchBookmarks"), "true", path);
    }
  });

  test("Node list items carry no apiVersion/kind: they are filled in from the NodeList", async (t) => {
    const recorded = JSON.parse(readFileSync(join(APISERVER_DIR, "list-nodes.json"), "utf8")) as {
      items: KObject[];
    };
    assert.equal(recorded.items[0]?.kind, undefined, "the recording really lacks them");
    const c = await cluster(t);
    const node = c.source.current().get("Node", "node-1");
    assert.equal(node?.apiVersion, "v1");
    assert.deepEqual(
      node?.internalIPs.map((ip) => ip.text),
      ["172.18.10.1"],
    );
    assert.equal(node?.labels.get("node-role.kubernetes.io/control-plane"), "");
  });
});

describe("watch events", () => {
  test("the recorded ADDED, MODIFIED, MODIFIED, DELETED of a HostEndpoint show in current()", async (t) => {
    const c = await cluster(t);
    const [added, modified, labelled, deleted] = fixtureLines("hostendpoints-watch.ndjson");
    const hep = () => c.source.current().get("HostEndpoint", "node-3-eth1");

    c.server.replay(HEPS, added!);
    await waitFor(() => hep() !== undefined, "ADDED", c.source);
    assert.deepEqual(hep()?.profiles, ["projectcalico-default-allow"]);

    c.server.replay(HEPS, modified!);
    await waitFor(() => hep()?.expectedIPs.length === 2, "MODIFIED (second IP)", c.source);
    assert.deepEqual(
      hep()?.ports.map((p) => `${p.name}/${p.protocol.name}/${p.port}`),
      ["iscsi/TCP/3260"],
    );
    assert.deepEqual(hep()?.profiles, []);

    c.server.replay(HEPS, labelled!);
    await waitFor(() => hep()?.labels.get("zone") === "b", "MODIFIED (label zone=b)", c.source);

    c.server.replay(HEPS, deleted!);
    await waitFor(() => hep() === undefined, "DELETED", c.source);
    assert.deepEqual(names(c.source, "HostEndpoint"), ["node-1", "node-2", "node-3"]);
  });

  test("a BOOKMARK moves the resourceVersion the next watch resumes from", async (t) => {
    const c = await cluster(t);
    for (const line of fixtureLines("hostendpoints-watch-bookmarks.ndjson")) c.server.replay(HEPS, line);
    await waitFor(
      () => kindStatus(c, "HostEndpoint").resourceVersion === "419",
      "the recorded bookmark",
      c.source,
    );
    assert.equal(c.source.current().get("HostEndpoint", "node-3-eth1"), undefined);

    // Other kinds moved etcd on meanwhile; the API server tells this idle watch with a bookmark.
    c.server.replay(
      HEPS,
      JSON.stringify({
        type: "BOOKMARK",
        object: {
          apiVersion: "crd.projectcalico.org/v1",
          kind: "HostEndpoint",
          metadata: { resourceVersion: "450" },
        },
      }),
    );
    await waitFor(
      () => kindStatus(c, "HostEndpoint").resourceVersion === "450",
      "a later bookmark",
      c.source,
    );
    const watches = c.server.watchRequests(HEPS).length;
    c.server.dropWatches(HEPS);
    await waitFor(() => c.server.watchRequests(HEPS).length > watches, "a new watch", c.source);
    assert.equal(c.server.watchRequests(HEPS).at(-1)?.query.get("resourceVersion"), "450");
    assert.equal(c.server.listRequests(HEPS).length, 1, "no relist needed");
  });
});

describe("reconnects", () => {
  test("a dropped watch: the last state is served, its age grows, the watch resumes and gets what it missed", async (t) => {
    const c = await cluster(t);
    const before = c.source.current();
    c.server.failWatches(NODES, {
      status: 503,
      body: statusBody(503, "ServiceUnavailable", "apiserver is shutting down"),
    });
    c.server.dropWatches(NODES);
    await waitFor(() => !kindStatus(c, "Node").connected, "the Node watch to drop", c.source);
    await waitFor(
      () => c.server.watchRequests(NODES).length >= 3,
      "retries against the failing server",
      c.source,
    );

    c.clock.advance(7000);
    assert.equal(c.source.ageSeconds(), 7);
    c.clock.advance(5000);
    assert.equal(c.source.ageSeconds(), 12, "the age grows while disconnected");
    assert.equal(c.source.isSynced(), true, "a synced source stays ready while reconnecting");
    assert.equal(c.source.current(), before, "the last synced state is served");
    assert.deepEqual(names(c.source, "Node"), ["node-1", "node-2", "node-3"]);

    // A write while we are away: the resumed watch must deliver it.
    const node2 = c.server.items(NODES).find((n) => n.metadata.name === "node-2")!;
    const labels = { ...(node2.metadata.labels as Record<string, string>), zone: "b" };
    c.server.emit(NODES, "MODIFIED", { ...node2, metadata: { ...node2.metadata, labels } });
    c.server.failWatches(NODES, undefined);
    await waitFor(() => kindStatus(c, "Node").connected, "the Node watch to come back", c.source);
    assert.equal(c.source.ageSeconds(), 0);
    await waitFor(
      () => c.source.current().get("Node", "node-2")?.labels.get("zone") === "b",
      "the missed event",
      c.source,
    );
    assert.equal(
      c.server.watchRequests(NODES).at(-1)?.query.get("resourceVersion"),
      "411",
      "resumed, not relisted",
    );
    assert.equal(c.server.listRequests(NODES).length, 1);
    const warnings = c.logs.filter((l) => l.level === "warn" && l.msg.startsWith("nodes: "));
    assert.match(warnings[0]?.msg ?? "", /^nodes: watch: HTTP 503 Service Unavailable; retrying$/);
    assert.ok(
      warnings.every((w) => Number(w.fields.attempt) % 10 === 1),
      "warned on the first failure (and every tenth), the retries in between are debug",
    );
    assert.ok(c.logs.some((l) => l.level === "info" && l.msg === "nodes: watching again"));
  });

  test("ERROR 410 Expired inside an HTTP 200 watch: the informer relists and drops what was deleted meanwhile", async (t) => {
    const c = await cluster(t);
    // Events we will never see: node-3's HEP deleted, node-4's created, then etcd compacted.
    c.server.mutateSilently(HEPS, (items) => {
      const node3 = items.get("node-3")!;
      items.delete("node-3");
      items.set("node-4", {
        ...node3,
        metadata: { ...node3.metadata, name: "node-4", uid: "u-4", resourceVersion: "420" },
        spec: { node: "node-4", interfaceName: "eth0", expectedIPs: ["172.18.10.4"] },
      });
    });
    c.server.compact(HEPS);
    c.server.dropWatches(HEPS);
    await waitFor(() => c.server.listRequests(HEPS).length === 2, "a relist", c.source);
    await waitFor(
      () => names(c.source, "HostEndpoint").join() === "node-1,node-2,node-4",
      "the relisted HEPs",
      c.source,
    );
    assert.ok(
      c.logs.some(
        (l) =>
          l.msg.includes("watch error event: too old resource version: 1 (261)") && l.fields.code === 410,
      ),
      "the recorded ERROR event was seen",
    );
    await waitFor(() => kindStatus(c, "HostEndpoint").connected, "watching again", c.source);
    assert.equal(c.source.ageSeconds(), 0);
  });

  test("HTTP 410 on a list: logged, retried with backoff, then synced", async (t) => {
    const expired = readFileSync(join(APISERVER_DIR, "list-hostendpoints-expired-410.json"), "utf8");
    const c = await cluster(t, { beforeStart: (server) => server.failNextList(GNPS, 410, expired) });
    assert.equal(c.server.listRequests(GNPS).length, 2);
    assert.deepEqual(names(c.source, "GlobalNetworkPolicy"), [
      "allow-inbound-cluster-internal",
      "allow-outbound-external",
    ]);
    const warning = c.logs.find((l) => l.level === "warn" && l.msg.startsWith("globalnetworkpolicies"));
    assert.match(
      warning?.msg ?? "",
      /HTTP 410: The resourceVersion for the provided list is too old\.; retrying$/,
    );
  });

  test("a continue token that expired (410) between pages: one unpaginated list instead", async (t) => {
    const c = await cluster(t, {
      source: { pageSize: 2 },
      beforeStart: (server) => server.expireContinueTokens(HEPS),
    });
    const lists = c.server.listRequests(HEPS).map((r) => [r.query.get("limit"), r.query.has("continue")]);
    assert.deepEqual(lists, [
      ["2", false],
      ["2", true],
      [null, false],
    ]);
    assert.deepEqual(names(c.source, "HostEndpoint"), ["node-1", "node-2", "node-3"]);
    // Without expiry the pages are simply joined.
    assert.equal(c.server.listRequests(NODES).length, 2);
    assert.deepEqual(names(c.source, "Node"), ["node-1", "node-2", "node-3"]);
  });
});

describe("kinds the cluster does not serve", () => {
  test("not in discovery (the recorded v3.28 CRDs have no Tier): empty, synced, logged once", async (t) => {
    const c = await cluster(t);
    assert.deepEqual(names(c.source, "Tier"), []);
    assert.equal(kindStatus(c, "Tier").served, false);
    await waitFor(() => c.server.listRequests(TIERS).length >= 3, "a few rechecks", c.source);
    assert.equal(
      c.logs.filter((l) => l.level !== "debug" && l.msg.startsWith("tiers.crd.projectcalico.org")).length,
      1,
    );
    assert.equal(c.source.ageSeconds(), 0, "a kind known to be absent is not stale");
  });

  test("in discovery but 404 on list: empty and logged once; picked up when the CRD appears", async (t) => {
    const c = await cluster(t, { fake: { extraDiscovered: ["tiers"] } });
    assert.deepEqual(names(c.source, "Tier"), []);
    await waitFor(() => c.server.listRequests(TIERS).length >= 3, "a few rechecks", c.source);
    const tierLogs = c.logs.filter(
      (l) => l.level !== "debug" && l.msg.startsWith("tiers.crd.projectcalico.org"),
    );
    assert.equal(tierLogs.length, 1, JSON.stringify(tierLogs));
    assert.match(
      tierLogs[0]!.msg,
      /not served by this cluster \(GET \/apis\/crd\.projectcalico\.org\/v1\/tiers: HTTP 404: the server could not find the requested resource\); treated as empty/,
    );

    c.server.serve(TIERS, true, { apiVersion: "crd.projectcalico.org/v1", listKind: "TierList" });
    c.server.emit(TIERS, "ADDED", {
      apiVersion: "crd.projectcalico.org/v1",
      kind: "Tier",
      metadata: { name: "platform" },
      spec: { order: 100 },
    });
    await waitFor(() => c.source.current().get("Tier", "platform")?.order === 100, "the new Tier", c.source);
    assert.ok(c.logs.some((l) => l.msg === "tiers.crd.projectcalico.org: served again; reading it"));
  });
});

describe("rebuilds", () => {
  test("Node status updates that change neither labels nor addresses do not even mark the state dirty", async (t) => {
    const c = await cluster(t);
    const before = c.source.current();
    const rebuilds = c.source.status().rebuilds;
    const node1 = c.server.items(NODES).find((n) => n.metadata.name === "node-1")!;
    let last: KObject | undefined;
    for (let beat = 1; beat <= 5; beat++) {
      last = c.server.emit(NODES, "MODIFIED", {
        ...node1,
        metadata: { ...node1.metadata, annotations: { "node.alpha.kubernetes.io/ttl": String(beat) } },
        status: {
          ...(node1.status as Record<string, unknown>),
          conditions: [{ type: "Ready", status: "True", lastHeartbeatTime: `2026-11-21T16:0${beat}:00Z` }],
        },
      });
    }
    await waitFor(
      () => kindStatus(c, "Node").resourceVersion === last!.metadata.resourceVersion,
      "the heartbeats to arrive",
      c.source,
    );
    assert.equal(c.source.current(), before, "the same state instance");
    assert.equal(c.source.status().rebuilds, rebuilds, "no rebuild");

    const labels = {
      ...(node1.metadata.labels as Record<string, string>),
      "kubernetes-host": "",
      tier: "edge",
    };
    c.server.emit(NODES, "MODIFIED", { ...node1, metadata: { ...node1.metadata, labels } });
    await waitFor(
      () => c.source.current().get("Node", "node-1")?.labels.get("tier") === "edge",
      "the label",
      c.source,
    );
    assert.notEqual(c.source.current(), before);
    assert.equal(c.source.status().rebuilds, rebuilds + 1);

    const addresses = [{ type: "InternalIP", address: "172.18.10.11" }];
    c.server.emit(NODES, "MODIFIED", {
      ...node1,
      metadata: { ...node1.metadata, labels },
      status: { addresses },
    });
    await waitFor(
      () => c.source.current().get("Node", "node-1")?.internalIPs[0]?.text === "172.18.10.11",
      "the address",
      c.source,
    );
  });

  test("an object Calico would reject is left out and reported once", async (t) => {
    const c = await cluster(t);
    c.server.emit(GNPS, "ADDED", {
      apiVersion: "crd.projectcalico.org/v1",
      kind: "GlobalNetworkPolicy",
      metadata: { name: "broken" },
      spec: { selector: "has(kubernetes-host", ingress: [{ action: "Allow" }] },
    });
    await waitFor(() => kindStatus(c, "GlobalNetworkPolicy").objects === 3, "the event", c.source);
    assert.equal(c.source.current().get("GlobalNetworkPolicy", "broken"), undefined);
    c.server.emit(GNPS, "MODIFIED", {
      ...c.server.items(GNPS).find((p) => p.metadata.name === "allow-outbound-external")!,
      spec: { selector: "has(kubernetes-host)", order: 11, egress: [{ action: "Allow" }] },
    });
    await waitFor(
      () => c.source.current().get("GlobalNetworkPolicy", "allow-outbound-external")?.order === 11,
      "a rebuild",
      c.source,
    );
    const reports = c.logs.filter((l) => l.msg.includes("GlobalNetworkPolicy broken left out"));
    assert.equal(reports.length, 1);
    assert.match(String(reports[0]?.fields.errors), /spec\.selector/);
  });
});

describe("changes are applied to the previous state", () => {
  /** Every object of the source's state, by kind and name, compared by content. */
  function sameState(a: ReturnType<Cluster["source"]["current"]>, b: typeof a): void {
    const key = (o: { kind: string; name: string }) => `${o.kind}/${o.name}`;
    assert.deepEqual(a.all().map(key), b.all().map(key));
    for (const o of a.all()) {
      const other = b.get(o.kind, o.name);
      assert.ok(other && sameContent(o, other), `${key(o)} differs from a full load`);
    }
  }

  test("after a sequence of watch events, the state equals a full load of the same objects", async (t) => {
    const c = await cluster(t);
    const gnp = (name: string, spec: Record<string, unknown>, annotations?: Record<string, string>) => ({
      apiVersion: "crd.projectcalico.org/v1",
      kind: "GlobalNetworkPolicy",
      metadata: { name, ...(annotations && { annotations }) },
      spec,
    });
    const steps: [string, "ADDED" | "MODIFIED" | "DELETED", KObject | Record<string, unknown>][] = [
      [
        GNPS,
        "ADDED",
        gnp("default.extra", { selector: "has(kubernetes-host)", order: 5, ingress: [{ action: "Allow" }] }),
      ],
      [
        GNPS,
        "MODIFIED",
        gnp("default.extra", { selector: "has(kubernetes-host)", order: 6, ingress: [{ action: "Deny" }] }),
      ],
      // valid, then invalid (Felix treats it as deleted), then valid again
      [GNPS, "ADDED", gnp("flaky", { selector: "all()", ingress: [{ action: "Allow" }] })],
      [GNPS, "MODIFIED", gnp("flaky", { selector: "all(", ingress: [{ action: "Allow" }] })],
      [GNPS, "MODIFIED", gnp("flaky", { selector: "has(a)", ingress: [{ action: "Allow" }] })],
      [GNPS, "DELETED", gnp("default.extra", {})],
    ];
    for (const [path, type, object] of steps) {
      const before = c.source.status().rebuilds;
      const sent = c.server.emit(path, type, object as KObject);
      await waitFor(
        () => kindStatus(c, "GlobalNetworkPolicy").resourceVersion === sent.metadata.resourceVersion,
        `${type} ${String((object as KObject).metadata.name)}`,
        c.source,
      );
      c.source.current();
      assert.equal(c.source.status().rebuilds, before + 1);
      // List items carry no apiVersion/kind (only watch events do); the informers add them.
      const listed = c.server.allItems().map((o) => ({ apiVersion: "v1", kind: "Node", ...o }));
      sameState(c.source.current(), loadState(listed).state);
    }
    assert.equal(c.source.current().get("GlobalNetworkPolicy", "extra"), undefined);
    assert.equal(c.source.current().get("GlobalNetworkPolicy", "flaky")?.selector.source, "has(a)");
    // Applied one by one: the state keeps its parent, so what the engine computed carries over.
    assert.ok(c.source.current().parent, "derived from the previous state");
  });

  test("a burst of 50 watch events is applied one by one too (no reload past a number of changes)", async (t) => {
    const c = await cluster(t);
    c.source.current(); // the state loaded at start
    const before = c.source.status().rebuilds;
    const policy = (name: string, order: number) => ({
      apiVersion: "crd.projectcalico.org/v1",
      kind: "GlobalNetworkPolicy",
      metadata: { name },
      spec: { selector: "has(kubernetes-host)", order, ingress: [{ action: "Allow", protocol: "TCP" }] },
    });
    let last: KObject | undefined;
    for (let i = 0; i < 40; i++) last = c.server.emit(GNPS, "ADDED", policy(`burst-${i}`, 100 + i));
    for (let i = 0; i < 5; i++) last = c.server.emit(GNPS, "MODIFIED", policy(`burst-${i}`, 200 + i));
    for (let i = 35; i < 40; i++) last = c.server.emit(GNPS, "DELETED", policy(`burst-${i}`, 0));
    await waitFor(
      () => kindStatus(c, "GlobalNetworkPolicy").resourceVersion === last!.metadata.resourceVersion,
      "the burst",
      c.source,
    );
    const state = c.source.current();
    assert.equal(c.source.status().rebuilds, before + 1, "one state for the whole burst");
    assert.ok(state.parent, "derived from the previous state change by change, not loaded afresh");
    const listed = c.server.allItems().map((o) => ({ apiVersion: "v1", kind: "Node", ...o }));
    sameState(state, loadState(listed).state);
    assert.equal(state.get("GlobalNetworkPolicy", "burst-0")?.order, 200);
    assert.equal(state.get("GlobalNetworkPolicy", "burst-39"), undefined);
  });
});

describe("discovery", () => {
  test("crd.projectcalico.org/v1 is read when both Calico groups are served", async (t) => {
    const c = await cluster(t, { fake: { groups: ["projectcalico.org/v3", "crd.projectcalico.org/v1"] } });
    assert.equal(c.source.status().groupVersion, "crd.projectcalico.org/v1");
    assert.equal(c.server.requests.filter((r) => r.path.startsWith("/apis/projectcalico.org/v3/")).length, 0);
    assert.equal(c.source.current().get("HostEndpoint", "node-1")?.apiVersion, "crd.projectcalico.org/v1");
  });

  test("projectcalico.org/v3 is read when it is the only one (native v3 CRDs)", async (t) => {
    const c = await cluster(t, { fake: { groups: ["projectcalico.org/v3"] } });
    assert.equal(c.source.status().groupVersion, "projectcalico.org/v3");
    assert.equal(c.server.listRequests("/apis/projectcalico.org/v3/hostendpoints").length, 1);
    assert.equal(c.source.current().get("HostEndpoint", "node-1")?.apiVersion, "projectcalico.org/v3");
    assert.deepEqual(names(c.source, "GlobalNetworkPolicy"), [
      "allow-inbound-cluster-internal",
      "allow-outbound-external",
    ]);
  });
});

describe("pending-change overlay", () => {
  const config = parseConfig({ profiles: ["rancher"] });
  assert.ok(config.ok);
  const RANCHER: GuardConfig = config.value;
  const recorded = (
    JSON.parse(readFileSync(join(APISERVER_DIR, "list-globalnetworkpolicies.json"), "utf8")) as {
      items: KObject[];
    }
  ).items;
  const internal = recorded.find((p) => p.metadata.name === "allow-inbound-cluster-internal")!;

  /** First change: a separate policy that allows kubelet (TCP 10250) between the hosts. */
  const allowKubelet: KObject = {
    apiVersion: "crd.projectcalico.org/v1",
    kind: "GlobalNetworkPolicy",
    metadata: { name: "allow-kubelet" },
    spec: {
      selector: "has(kubernetes-host)",
      order: 5,
      preDNAT: true,
      applyOnForward: true,
      types: ["Ingress"],
      ingress: [
        {
          action: "Allow",
          protocol: "TCP",
          source: { selector: "has(kubernetes-host) || role == 'internal-net'" },
          destination: { ports: [10250] },
        },
      ],
    },
  };
  const createKubelet: DecisionRequest = {
    operation: "CREATE",
    kind: "GlobalNetworkPolicy",
    name: "allow-kubelet",
    object: allowKubelet,
  };

  /** Second change: 10250 out of the big cluster-internal rule. Safe only once the first is in. */
  const without10250 = structuredClone(internal) as KObject & {
    spec: { ingress: { destination: { ports: unknown[] } }[] };
  };
  without10250.spec.ingress[0]!.destination.ports = without10250.spec.ingress[0]!.destination.ports.filter(
    (p) => p !== 10250,
  );
  const remove10250: DecisionRequest = {
    operation: "UPDATE",
    kind: "GlobalNetworkPolicy",
    name: internal.metadata.name,
    object: without10250,
    oldObject: internal,
  };

  test("the second change is judged with the first overlaid until the informer shows the first", async (t) => {
    const c = await cluster(t);
    assert.equal(
      decide(c.source.current(), remove10250, RANCHER).allowed,
      false,
      "alone, the second change locks kubelet out",
    );

    const first = decide(c.source.current(), createKubelet, RANCHER);
    assert.equal(first.allowed, true);
    c.source.recordAdmitted(first.change!);
    assert.equal(c.source.status().pendingChanges, 1);
    assert.ok(c.source.current().get("GlobalNetworkPolicy", "allow-kubelet"), "overlaid at once");
    assert.equal(kindStatus(c, "GlobalNetworkPolicy").objects, 2, "the informer has not seen it");
    assert.equal(
      decide(c.source.current(), remove10250, RANCHER).allowed,
      true,
      "judged against the first change",
    );

    // The API server stores it (adding uid, generation, managedFields) and the watch delivers it.
    c.server.emit(GNPS, "ADDED", {
      ...allowKubelet,
      metadata: {
        ...allowKubelet.metadata,
        uid: "4c1c",
        generation: 1,
        creationTimestamp: "2026-11-21T16:00:00Z",
        managedFields: [],
      },
    });
    await waitFor(
      () => c.source.current() && c.source.status().pendingChanges === 0,
      "the overlay entry to be confirmed",
      c.source,
    );
    assert.equal(decide(c.source.current(), remove10250, RANCHER).allowed, true, "now from the informer");

    // The overlay really let go: when the policy is deleted, the state follows the informer.
    c.server.emit(
      GNPS,
      "DELETED",
      c.server.items(GNPS).find((p) => p.metadata.name === "allow-kubelet")!,
    );
    await waitFor(
      () => c.source.current().get("GlobalNetworkPolicy", "allow-kubelet") === undefined,
      "the deletion",
      c.source,
    );
    assert.equal(decide(c.source.current(), remove10250, RANCHER).allowed, false);
  });

  test("an admitted change the informer never shows expires after the TTL", async (t) => {
    const c = await cluster(t, { source: { overlayTtlMs: 30_000 } });
    const first = decide(c.source.current(), createKubelet, RANCHER);
    c.source.recordAdmitted(first.change!);
    c.clock.advance(29_999);
    assert.equal(
      decide(c.source.current(), remove10250, RANCHER).allowed,
      true,
      "still overlaid just before the TTL",
    );
    c.clock.advance(1);
    assert.equal(c.source.current().get("GlobalNetworkPolicy", "allow-kubelet"), undefined);
    assert.equal(c.source.status().pendingChanges, 0);
    assert.equal(
      decide(c.source.current(), remove10250, RANCHER).allowed,
      false,
      "judged against the cluster again",
    );
  });

  test("an admitted DELETE hides the object until the informer shows it gone", async (t) => {
    const c = await cluster(t);
    c.source.recordAdmitted({ operation: "DELETE", kind: "HostEndpoint", name: "node-3" });
    assert.equal(c.source.current().get("HostEndpoint", "node-3"), undefined);
    assert.equal(kindStatus(c, "HostEndpoint").objects, 3);
    c.server.emit(
      HEPS,
      "DELETED",
      c.server.items(HEPS).find((h) => h.metadata.name === "node-3")!,
    );
    await waitFor(
      () => c.source.current() && c.source.status().pendingChanges === 0,
      "the deletion to be confirmed",
      c.source,
    );
    assert.deepEqual(names(c.source, "HostEndpoint"), ["node-1", "node-2"]);
  });
});

test("stop() ends every watch", async (t) => {
  // No not-served recheck in flight when stop() is called (Tier is not served by this recording).
  const c = await cluster(t, { source: { notServedRecheckMs: 3_600_000 } });
  // Every served kind's watch answered: its request reached the server. (Waiting for two of them
  // only left the others' watch requests in flight at stop(); arriving after it, they were counted
  // as requests made after stop() on a loaded machine.)
  await waitFor(
    () => c.source.status().kinds.every((k) => !k.served || k.connected),
    "every watch open",
    c.source,
  );
  assert.ok(c.server.openWatches(HEPS) > 0 && c.server.openWatches(NODES) > 0);
  await c.source.stop();
  await waitFor(
    () => c.server.openWatches(HEPS) === 0 && c.server.openWatches(NODES) === 0,
    "the watches to close",
  );
  const requests = c.server.requests.length;
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(c.server.requests.length, requests, "no request after stop()");
});
