/** The pieces of the cluster adapter that need no server: discovery choice, slimming, backoff, overlay, config. */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test, type TestContext } from "node:test";
import { validateResource } from "../../src/calico/validate-resource.js";
import type { CalicoResource } from "../../src/calico/types.js";
import { Backoff } from "../../src/cluster/backoff.js";
import { hasClusterConfig } from "../../src/cluster/cluster-config.js";
import { chooseCalicoGroupVersion, listableResources } from "../../src/cluster/discovery.js";
import { ClusterConfigError, createClusterSource } from "../../src/cluster/informer-source.js";
import { KIND_SPECS, type KindSpec } from "../../src/cluster/kinds.js";
import { loadKubeConfig } from "../../src/cluster/kubeconfig.js";
import { PendingOverlay, sameContent } from "../../src/cluster/overlay.js";
import { fingerprint, slimObject } from "../../src/cluster/slim.js";
import type { Change } from "../../src/engine/change.js";
import { loadState } from "../../src/engine/load.js";
import { capturedClusterObjects } from "../helpers/shared.js";
import { APISERVER_DIR, fixtureLines, type KObject } from "./fake-apiserver.js";

function spec(kind: string): KindSpec {
  const s = KIND_SPECS.find((k) => k.kind === kind);
  assert.ok(s);
  return s;
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), "hostguard-cluster-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function resource(object: unknown): CalicoResource {
  const r = validateResource(object);
  assert.ok(r.ok, r.ok ? "" : JSON.stringify(r.error));
  return r.value;
}

describe("discovery", () => {
  const groupList = (...gvs: string[]) => ({
    kind: "APIGroupList",
    groups: gvs.map((gv) => ({
      name: gv.split("/")[0],
      versions: [{ groupVersion: gv, version: gv.split("/")[1] }],
    })),
  });

  test("crd.projectcalico.org/v1 wins when both Calico groups are served, whatever their order", () => {
    assert.equal(
      chooseCalicoGroupVersion(groupList("projectcalico.org/v3", "crd.projectcalico.org/v1")),
      "crd.projectcalico.org/v1",
    );
    assert.equal(
      chooseCalicoGroupVersion(groupList("crd.projectcalico.org/v1", "projectcalico.org/v3")),
      "crd.projectcalico.org/v1",
    );
  });

  test("projectcalico.org/v3 alone; neither; garbage", () => {
    assert.equal(
      chooseCalicoGroupVersion(groupList("apps/v1", "projectcalico.org/v3")),
      "projectcalico.org/v3",
    );
    assert.equal(chooseCalicoGroupVersion(groupList("apps/v1")), undefined);
    assert.equal(chooseCalicoGroupVersion({ groups: "no" }), undefined);
    assert.equal(chooseCalicoGroupVersion(null), undefined);
  });

  test("only resources that can be listed and watched; no subresources", () => {
    const served = listableResources({
      resources: [
        { name: "hostendpoints", verbs: ["get", "list", "watch"] },
        { name: "hostendpoints/status", verbs: ["get", "list", "watch"] },
        { name: "tiers", verbs: ["get", "create"] },
        { name: 7, verbs: ["list", "watch"] },
      ],
    });
    assert.deepEqual([...served], ["hostendpoints"]);
  });
});

describe("slim objects", () => {
  const nodes = (
    JSON.parse(readFileSync(join(APISERVER_DIR, "list-nodes.json"), "utf8")) as { items: KObject[] }
  ).items;

  test("a Node keeps its name, labels and status.addresses (and the resourceVersion ListWatch needs)", () => {
    const slim = slimObject(spec("Node"), nodes[0], { apiVersion: "v1", kind: "Node" });
    assert.deepEqual(slim, {
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name: "node-1",
        resourceVersion: "256",
        labels: {
          "kubernetes-host": "",
          "kubernetes.io/hostname": "node-1",
          "kubernetes.io/os": "linux",
          "node-role.kubernetes.io/control-plane": "",
        },
      },
      status: {
        addresses: [
          { type: "InternalIP", address: "172.18.10.1" },
          { type: "Hostname", address: "node-1" },
        ],
      },
    });
  });

  test("a Calico object loses managedFields, kubectl's last-applied copy and status; keeps the rest", () => {
    const event = JSON.parse(fixtureLines("hostendpoints-watch.ndjson")[0]!) as { object: KObject };
    assert.ok(
      (event.object.metadata.annotations as Record<string, string>)[
        "kubectl.kubernetes.io/last-applied-configuration"
      ],
    );
    const slim = slimObject(
      spec("HostEndpoint"),
      { ...event.object, status: { x: 1 } },
      { apiVersion: "", kind: "" },
    );
    assert.ok(slim);
    assert.deepEqual(Object.keys(slim).sort(), ["apiVersion", "kind", "metadata", "spec"]);
    assert.deepEqual(Object.keys(slim.metadata).sort(), [
      "creationTimestamp",
      "labels",
      "name",
      "resourceVersion",
      "uid",
    ]);
    assert.deepEqual(slim.spec, event.object.spec);
    assert.equal(slim.kind, "HostEndpoint", "the object's own kind is kept");
  });

  test("an object without a name is dropped", () => {
    assert.equal(slimObject(spec("Node"), { metadata: {} }, { apiVersion: "v1", kind: "Node" }), undefined);
    assert.equal(slimObject(spec("Node"), "x", { apiVersion: "v1", kind: "Node" }), undefined);
  });

  test("the fingerprint ignores the resourceVersion and Node status noise, not labels or addresses", () => {
    const node = nodes[0]!;
    const print = (o: KObject) =>
      fingerprint(slimObject(spec("Node"), o, { apiVersion: "v1", kind: "Node" })!);
    const heartbeat: KObject = {
      ...node,
      metadata: { ...node.metadata, resourceVersion: "999", annotations: { a: "b" }, managedFields: [] },
      status: { ...(node.status as object), conditions: [{ type: "Ready", status: "True" }] },
    };
    assert.equal(print(heartbeat), print(node));
    const relabelled: KObject = { ...node, metadata: { ...node.metadata, labels: { zone: "a" } } };
    assert.notEqual(print(relabelled), print(node));
    const moved: KObject = { ...node, status: { addresses: [{ type: "InternalIP", address: "10.0.0.9" }] } };
    assert.notEqual(print(moved), print(node));
  });
});

describe("backoff", () => {
  test("doubles up to the cap, jitter takes off up to the given fraction, reset starts over", () => {
    const none = new Backoff({ initialMs: 5, maxMs: 40, jitter: 0.5 }, () => 0);
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map(() => none.next()),
      [5, 10, 20, 40, 40, 40],
    );
    none.reset();
    assert.equal(none.next(), 5);
    const full = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0.5 }, () => 1);
    assert.deepEqual(
      [1, 2, 3, 4, 5].map(() => full.next()),
      [50, 100, 200, 400, 500],
    );
    assert.equal(full.attempts, 5);
  });

  test("defaults: 500 ms to 30 s", () => {
    const b = new Backoff({}, () => 0);
    const delays = Array.from({ length: 12 }, () => b.next());
    assert.equal(delays[0], 500);
    assert.equal(Math.max(...delays), 30_000);
  });
});

describe("pending-change overlay (pure)", () => {
  const base = loadState(capturedClusterObjects()).state;
  const gns = capturedClusterObjects().find((o) => (o as KObject).kind === "GlobalNetworkSet") as KObject & {
    spec: { nets: string[] };
  };
  const widened = { ...gns, spec: { nets: [...gns.spec.nets, "10.60.0.0/16"] } };
  const update: Change = { operation: "UPDATE", object: resource(widened) };
  const nets = (s: typeof base) => s.get("GlobalNetworkSet", "allow-ips")?.nets.map((n) => n.text);

  test("kept until the base shows the same content (server-assigned fields aside), or the TTL passes", () => {
    const overlay = new PendingOverlay(1000);
    overlay.record(update, 0, base);
    assert.equal(overlay.settle(base, 10), false);
    assert.deepEqual(nets(overlay.apply(base)), ["192.168.100.0/24", "10.60.0.0/16"]);

    // What the API server stores: a new resourceVersion, managedFields, the last-applied annotation.
    const stored = resource({
      ...widened,
      metadata: {
        ...widened.metadata,
        resourceVersion: "500",
        annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}" },
      },
    });
    assert.ok(sameContent(stored, update.object as CalicoResource));
    const caughtUp = base.apply({ operation: "UPDATE", object: stored });
    assert.equal(overlay.settle(caughtUp, 20), true);
    assert.equal(overlay.size, 0);

    const expiring = new PendingOverlay(1000);
    expiring.record(update, 0, base);
    assert.equal(expiring.settle(base, 999), false);
    assert.equal(expiring.settle(base, 1000), true);
    assert.deepEqual(nets(expiring.apply(base)), ["192.168.100.0/24"]);
  });

  test("a different later write does not confirm it", () => {
    const overlay = new PendingOverlay(1000);
    overlay.record(update, 0, base);
    const other = base.apply({
      operation: "UPDATE",
      object: resource({ ...gns, spec: { nets: ["172.16.0.0/12"] } }),
    });
    assert.equal(overlay.settle(other, 1), false);
    assert.deepEqual(nets(overlay.apply(other)), ["192.168.100.0/24", "10.60.0.0/16"]);
  });

  test("a DELETE holds until the object is gone", () => {
    const overlay = new PendingOverlay(1000);
    overlay.record({ operation: "DELETE", kind: "HostEndpoint", name: "node-2" }, 0, base);
    assert.equal(overlay.apply(base).get("HostEndpoint", "node-2"), undefined);
    assert.equal(overlay.settle(base, 1), false);
    assert.equal(
      overlay.settle(base.apply({ operation: "DELETE", kind: "HostEndpoint", name: "node-2" }), 2),
      true,
    );
  });

  test("a change the base already shows is not kept, and it supersedes an earlier one to the same object", () => {
    const overlay = new PendingOverlay(1000);
    overlay.record(update, 0, base);
    assert.equal(overlay.size, 1);
    // Reverted: the base already has the original content.
    overlay.record({ operation: "UPDATE", object: resource(gns) }, 1, base);
    assert.equal(overlay.size, 0);
    assert.deepEqual(nets(overlay.apply(base)), ["192.168.100.0/24"]);
  });

  test("changes to different objects stack in admission order", () => {
    const overlay = new PendingOverlay(1000);
    overlay.record(update, 0, base);
    overlay.record({ operation: "DELETE", kind: "HostEndpoint", name: "node-3" }, 0, base);
    const view = overlay.apply(base);
    assert.deepEqual(nets(view), ["192.168.100.0/24", "10.60.0.0/16"]);
    assert.equal(view.get("HostEndpoint", "node-3"), undefined);
    assert.ok(base.get("HostEndpoint", "node-3"), "the base is untouched");
  });
});

describe("cluster configuration", () => {
  test("hasClusterConfig: --kubeconfig, in-cluster env, KUBECONFIG files, ~/.kube/config", (t) => {
    const home = tempDir(t);
    assert.equal(
      hasClusterConfig({}, "/nowhere/config"),
      true,
      "an explicit path counts (loading it reports errors)",
    );
    assert.equal(hasClusterConfig({ KUBERNETES_SERVICE_HOST: "10.96.0.1" }), true);
    assert.equal(hasClusterConfig({ HOME: home }), false);
    mkdirSync(join(home, ".kube"));
    writeFileSync(join(home, ".kube", "config"), "apiVersion: v1\n");
    assert.equal(hasClusterConfig({ HOME: home }), true);
    assert.equal(
      hasClusterConfig({ HOME: home, KUBECONFIG: join(home, "missing") }),
      false,
      "kubectl ignores ~/.kube/config when KUBECONFIG is set",
    );
    assert.equal(
      hasClusterConfig({
        HOME: home,
        KUBECONFIG: `${join(home, "missing")}:${join(home, ".kube", "config")}`,
      }),
      true,
    );
    assert.equal(hasClusterConfig({}), false);
  });

  test("in-cluster: the service account's token file and CA, the API server from the env (IPv6 in brackets)", (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, "token"), "sa-token");
    writeFileSync(join(dir, "ca.crt"), "not really a CA");
    const env = { KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "443" };
    const kc = loadKubeConfig({ env, serviceAccountDir: dir });
    assert.ok(kc.ok, kc.ok ? "" : kc.error);
    assert.equal(kc.value.getCurrentCluster()?.server, "https://[fd00::1]:443");
    assert.equal(kc.value.getCurrentCluster()?.caFile, join(dir, "ca.crt"));
    assert.equal(kc.value.getCurrentUser()?.authProvider?.config?.tokenFile, join(dir, "token"));

    const v4 = loadKubeConfig({
      env: { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "6443" },
      serviceAccountDir: dir,
    });
    assert.ok(v4.ok);
    assert.equal(v4.value.getCurrentCluster()?.server, "https://10.96.0.1:6443");

    const noToken = loadKubeConfig({ env, serviceAccountDir: join(dir, "nope") });
    assert.ok(!noToken.ok);
    assert.match(noToken.error, /no service account token at .*nope\/token/);
  });

  test("an explicit kubeconfig wins over the in-cluster env; errors are one line", (t) => {
    const dir = tempDir(t);
    const path = join(dir, "config");
    writeFileSync(
      path,
      "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://k8s.example:6443\nusers:\n- name: u\n  user:\n    token: x\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\n",
    );
    const kc = loadKubeConfig({ kubeconfigPath: path, env: { KUBERNETES_SERVICE_HOST: "10.96.0.1" } });
    assert.ok(kc.ok);
    assert.equal(kc.value.getCurrentCluster()?.server, "https://k8s.example:6443");

    const missing = loadKubeConfig({ kubeconfigPath: join(dir, "missing") });
    assert.ok(!missing.ok);
    assert.match(missing.error, /^cannot load kubeconfig .*missing: /);
    assert.equal(missing.error.includes("\n"), false);

    writeFileSync(
      join(dir, "no-context"),
      "apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n",
    );
    const noContext = loadKubeConfig({ kubeconfigPath: join(dir, "no-context") });
    assert.ok(!noContext.ok);
    assert.match(noContext.error, /no current context/);

    const none = loadKubeConfig({ env: { HOME: dir } });
    assert.ok(!none.ok);
    assert.match(none.error, /^no cluster configured/);
  });

  test("createClusterSource throws a ClusterConfigError for a kubeconfig that cannot be loaded", () => {
    assert.throws(
      () => createClusterSource({ kubeconfigPath: "/nowhere/config", logger: () => {} }),
      (e: unknown) =>
        e instanceof ClusterConfigError && /cannot load kubeconfig \/nowhere\/config/.test(e.message),
    );
  });
});
