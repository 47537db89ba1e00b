/**
 * The test reader for kustomize (kustomize.ts): the semantics deploy/ relies on, and - when a
 * kubectl with built-in kustomize is installed - agreement with the real thing on every directory
 * of deploy/.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseAllDocuments } from "yaml";
import {
  applyJson6902,
  buildKustomization,
  field,
  findOne,
  sortById,
  strategicMerge,
  type Json,
  type K8sObject,
} from "./kustomize.js";
import {
  NO_OPENSSL_MESSAGE,
  OPENSSL_AVAILABLE,
  REPO,
  SPAWN_TIMEOUT_MS,
  commandWorks,
  makeWorkspace,
  removeDir,
  tempDir,
  type Workspace,
} from "./workspace.js";

function write(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, text);
  }
}

const VWC = `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: { name: hook }
webhooks:
  - name: a.example.dev
    failurePolicy: Fail
    matchConditions: [ { name: one, expression: "true" }, { name: two, expression: "true" } ]
  - name: b.example.dev
    failurePolicy: Ignore
`;

describe("kustomize subset reader", () => {
  let dir = "";
  before(() => {
    dir = tempDir("kustomize");
  });
  after(() => removeDir(dir));

  test("strategic merge: webhooks and matchConditions merge by name, null deletes, other lists replace", () => {
    const base = parseAllDocuments(VWC)[0]?.toJS() as Json;
    const merged = strategicMerge(
      base,
      {
        metadata: { annotations: { x: "y" } },
        webhooks: [
          { name: "b.example.dev", clientConfig: { caBundle: "QQ==" } },
          { name: "a.example.dev", matchConditions: [{ name: "two", $patch: "delete" }] },
        ],
      },
      [],
      true,
    );
    assert.equal(field(merged, "metadata", "annotations", "x"), "y");
    assert.equal(field(merged, "webhooks", 0, "failurePolicy"), "Fail");
    assert.deepEqual(field(merged, "webhooks", 0, "matchConditions"), [{ name: "one", expression: "true" }]);
    assert.equal(field(merged, "webhooks", 1, "clientConfig", "caBundle"), "QQ==");
    assert.equal(field(merged, "webhooks", 1, "failurePolicy"), "Ignore");
    const deleted = strategicMerge(
      merged,
      { webhooks: [{ name: "a.example.dev", matchConditions: null }] },
      [],
      true,
    );
    assert.equal(field(deleted, "webhooks", 0, "matchConditions"), undefined);
    // a custom resource: JSON merge semantics, lists replace
    const custom = strategicMerge(
      { spec: { dnsNames: ["a", "b"] } },
      { spec: { dnsNames: ["c"] } },
      [],
      false,
    );
    assert.deepEqual(custom, { spec: { dnsNames: ["c"] } });
  });

  test("JSON 6902: test guards the index, remove and add apply, a failed test throws", () => {
    const base = parseAllDocuments(VWC)[0]?.toJS() as K8sObject;
    const out = applyJson6902(
      base,
      [
        { op: "test", path: "/webhooks/0/name", value: "a.example.dev" },
        { op: "remove", path: "/webhooks/0/matchConditions" },
        { op: "add", path: "/metadata/labels", value: { a: "b" } },
        { op: "add", path: "/webhooks/-", value: { name: "c.example.dev" } },
        { op: "replace", path: "/webhooks/1/failurePolicy", value: "Fail" },
      ],
      "test",
    );
    assert.equal(field(out, "webhooks", 0, "matchConditions"), undefined);
    assert.equal(field(out, "webhooks", 2, "name"), "c.example.dev");
    assert.equal(field(out, "webhooks", 1, "failurePolicy"), "Fail");
    assert.equal(
      field(base, "webhooks", 0, "matchConditions", 0, "name"),
      "one",
      "the input is not modified",
    );
    assert.throws(
      () => applyJson6902(base, [{ op: "test", path: "/webhooks/0/name", value: "x" }], "t"),
      /test/,
    );
    assert.throws(() => applyJson6902(base, [{ op: "remove", path: "/nope" }], "t"), /does not exist/);
  });

  test("resources, components, patches, namespace and labels, in kustomize's order", () => {
    const root = join(dir, "layers");
    write(root, {
      "base/kustomization.yaml":
        "resources: [vwc.yaml, cm.yaml]\nnamespace: ns1\nlabels: [ { pairs: { team: a } } ]\n",
      "base/vwc.yaml": VWC,
      "base/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: cm }\ndata: { k: v }\n",
      "comp/kustomization.yaml":
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [s.yaml]\npatches: [ { path: p.yaml } ]\n",
      "comp/s.yaml": "apiVersion: v1\nkind: Secret\nmetadata: { name: s }\n",
      "comp/p.yaml":
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata: { name: hook }\nwebhooks: [ { name: a.example.dev, clientConfig: { caBundle: Qg== } } ]\n",
      "overlay/kustomization.yaml":
        "resources: [../base]\ncomponents: [../comp]\nnamespace: ns2\npatches:\n  - path: cm.yaml\n  - target: { kind: ValidatingWebhookConfiguration, name: hook }\n    patch: |\n      - op: remove\n        path: /webhooks/1\n",
      "overlay/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: cm }\ndata: { k: w }\n",
    });
    const objects = buildKustomization(join(root, "overlay"));
    const cm = findOne(objects, "ConfigMap", "cm");
    assert.equal(field(cm, "data", "k"), "w");
    assert.equal(cm.metadata.namespace, "ns2", "the outer namespace wins");
    assert.equal(field(cm, "metadata", "labels", "team"), "a");
    const secret = findOne(objects, "Secret", "s");
    assert.equal(secret.metadata.namespace, "ns2");
    assert.equal(
      field(secret, "metadata", "labels"),
      undefined,
      "the base's labels do not reach a component's objects",
    );
    const vwc = findOne(objects, "ValidatingWebhookConfiguration", "hook");
    assert.equal(vwc.metadata.namespace, undefined, "cluster-scoped");
    assert.equal(field(vwc, "webhooks", 0, "clientConfig", "caBundle"), "Qg==");
    assert.equal(field(vwc, "webhooks", 1), undefined);
  });

  test("refuses what kustomize refuses, and what the reader does not implement", () => {
    const root = join(dir, "refusals");
    write(root, {
      "outside.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n",
      "a/kustomization.yaml": "resources: [../outside.yaml]\n",
      "b/kustomization.yaml": "resources: [cm.yaml, cm2.yaml]\n",
      "b/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n",
      "b/cm2.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n",
      "c/kustomization.yaml": "resources: []\nimages: [ { name: a, newTag: b } ]\n",
      "d/kustomization.yaml": "resources: [cm.yaml]\npatches: [ { path: p.yaml } ]\n",
      "d/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n",
      "d/p.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: other }\n",
    });
    assert.throws(() => buildKustomization(join(root, "a")), /outside the kustomization's directory/);
    assert.throws(() => buildKustomization(join(root, "b")), /two objects with the identity/);
    assert.throws(() => buildKustomization(join(root, "c")), /"images" is not supported/);
    assert.throws(() => buildKustomization(join(root, "d")), /matches no object/);
  });
});

// --- agreement with kubectl's built-in kustomize, when it is installed -----------------------------

const KUBECTL = commandWorks("kubectl", ["kustomize", "--help"]);

describe(
  "kubectl kustomize builds the same objects as the test reader",
  {
    skip: KUBECTL
      ? false
      : "kubectl (with built-in kustomize) is not installed; the reader is checked by its own tests above",
  },
  () => {
    let workspace: Workspace | undefined;
    before(() => {
      if (OPENSSL_AVAILABLE) workspace = makeWorkspace();
    });
    after(() => {
      if (workspace) removeDir(workspace.root);
    });

    function compare(dir: string): void {
      const r = spawnSync("kubectl", ["kustomize", dir], { encoding: "utf8", timeout: SPAWN_TIMEOUT_MS });
      assert.equal(r.status, 0, r.stderr);
      const real = parseAllDocuments(r.stdout).map((d) => d.toJS() as K8sObject);
      assert.deepEqual(sortById(buildKustomization(dir)), sortById(real));
    }

    for (const dir of ["deploy/base", "deploy/overlays/cert-manager", "deploy/monitoring"]) {
      test(dir, () => compare(join(REPO, dir)));
    }
    for (const name of ["self-signed", "pre-1.30"]) {
      test(`deploy/overlays/${name}`, { skip: OPENSSL_AVAILABLE ? false : NO_OPENSSL_MESSAGE }, () => {
        assert.ok(workspace);
        compare(workspace.overlay(name));
      });
    }
  },
);
