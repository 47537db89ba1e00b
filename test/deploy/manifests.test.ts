/**
 * deploy/: build every overlay (test/deploy/kustomize.ts) and check what the API server and the
 * kubelet will get: the webhook registration, RBAC, the hardened Deployment, certificates.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";
import { SHARED_DIR } from "../helpers/shared.js";
import {
  buildKustomization,
  field,
  findAll,
  findOne,
  isObject,
  str,
  strings,
  type Json,
  type K8sObject,
} from "./kustomize.js";
import {
  KUSTOMIZE_EXPECT,
  SIX_RESOURCES,
  checkNetworkPolicy,
  describeSafety,
  serviceDNS,
  theWebhook,
  webhookConfig,
} from "./properties.js";
import {
  NO_OPENSSL_MESSAGE,
  OPENSSL_AVAILABLE,
  REPO,
  makeWorkspace,
  removeDir,
  tempDir,
  type Workspace,
} from "./workspace.js";

const SERVICE_DNS = serviceDNS(KUSTOMIZE_EXPECT);

interface Variant {
  readonly name: string;
  /** builds from the workspace copy, whose certs/out the script generated */
  readonly needsCerts: boolean;
  readonly matchConditions: boolean;
}

const VARIANTS: Variant[] = [
  { name: "cert-manager", needsCerts: false, matchConditions: true },
  { name: "self-signed", needsCerts: true, matchConditions: true },
  { name: "pre-1.30", needsCerts: true, matchConditions: false },
];

let workspace: Workspace | undefined;
before(() => {
  if (OPENSSL_AVAILABLE) workspace = makeWorkspace();
});
after(() => {
  if (workspace) removeDir(workspace.root);
});

function buildVariant(v: Variant): K8sObject[] {
  if (!v.needsCerts) return buildKustomization(join(REPO, "deploy", "overlays", v.name));
  assert.ok(workspace, "workspace with generated certificates");
  return buildKustomization(workspace.overlay(v.name));
}

// --- the Calico CRDs say which plural names and scope the webhook must use ---------------------------

test("the webhook's resource names are Calico's plural names (CRDs v3.28) plus tiers", () => {
  const kinds: Record<string, string> = {
    GlobalNetworkPolicy: "globalnetworkpolicies",
    HostEndpoint: "hostendpoints",
    GlobalNetworkSet: "globalnetworksets",
    FelixConfiguration: "felixconfigurations",
    KubeControllersConfiguration: "kubecontrollersconfigurations",
  };
  for (const [kind, plural] of Object.entries(kinds)) {
    const crd = parse(
      readFileSync(join(SHARED_DIR, "calico-crds", "v3.28", `crd.projectcalico.org_${plural}.yaml`), "utf8"),
    ) as Json;
    assert.equal(field(crd, "spec", "names", "kind"), kind);
    assert.equal(field(crd, "spec", "names", "plural"), plural);
    assert.equal(field(crd, "spec", "scope"), "Cluster", `${kind} is cluster-scoped`);
    assert.ok(SIX_RESOURCES.includes(plural));
  }
  // Tier has no crd.projectcalico.org CRD before Calico v3.29; its plural is "tiers".
  assert.ok(SIX_RESOURCES.includes("tiers"));
});

// --- every installable variant ----------------------------------------------------------------------

for (const variant of VARIANTS) {
  describe(
    `overlay ${variant.name}`,
    { skip: variant.needsCerts && !OPENSSL_AVAILABLE ? NO_OPENSSL_MESSAGE : false },
    () => {
      let objects: K8sObject[] = [];
      before(() => {
        objects = buildVariant(variant);
      });

      describeSafety(() => objects, { ...KUSTOMIZE_EXPECT, matchConditions: variant.matchConditions });

      test("the serving certificate's Secret comes from the overlay", () => {
        // cert-manager writes it, or the script's secret.yaml carries it
        if (variant.name === "cert-manager") {
          const issuing = findAll(objects, "Certificate").filter(
            (cert) => field(cert, "spec", "secretName") === "hostguard-tls",
          );
          assert.equal(issuing.length, 1, "one Certificate writes Secret hostguard-tls");
          assert.equal(issuing[0]?.metadata.namespace, "hostguard");
        } else {
          const secret = findOne(objects, "Secret", "hostguard-tls");
          assert.equal(secret.metadata.namespace, "hostguard");
          assert.equal(secret.type, "kubernetes.io/tls");
          assert.ok(isObject(secret.data) && "tls.crt" in secret.data && "tls.key" in secret.data);
        }
      });
    },
  );
}

// --- certificate wiring per variant ---------------------------------------------------------------

describe("overlay cert-manager: certificates", () => {
  const objects = buildKustomization(join(REPO, "deploy", "overlays", "cert-manager"));

  test("the CA injector fills caBundle from the serving Certificate", () => {
    const vwc = webhookConfig(objects);
    const source = field(vwc, "metadata", "annotations", "cert-manager.io/inject-ca-from");
    assert.equal(source, "hostguard/hostguard-serving");
    const [ns, name] = str(source, "inject-ca-from").split("/");
    const cert = findOne(objects, "Certificate", name ?? "");
    assert.equal(cert.metadata.namespace, ns);
    assert.equal(field(theWebhook(objects), "clientConfig", "caBundle"), undefined, "left to the injector");
  });

  test("the serving Certificate names the Service's DNS names and writes Secret hostguard-tls", () => {
    const cert = findOne(objects, "Certificate", "hostguard-serving");
    const dnsNames = strings(field(cert, "spec", "dnsNames"), "dnsNames");
    assert.ok(dnsNames.includes(SERVICE_DNS));
    assert.ok(dnsNames.includes(`${SERVICE_DNS}.cluster.local`));
    assert.equal(field(cert, "spec", "secretName"), "hostguard-tls");
    assert.notEqual(field(cert, "spec", "isCA"), true);
  });

  test("issuer chain: self-signed Issuer -> CA Certificate -> CA Issuer -> serving Certificate", () => {
    const serving = findOne(objects, "Certificate", "hostguard-serving");
    const caIssuer = findOne(
      objects,
      "Issuer",
      str(field(serving, "spec", "issuerRef", "name"), "issuerRef"),
    );
    assert.equal(field(serving, "spec", "issuerRef", "kind"), "Issuer");
    const caSecret = str(field(caIssuer, "spec", "ca", "secretName"), "ca.secretName");
    const caCerts = findAll(objects, "Certificate").filter(
      (c) => field(c, "spec", "secretName") === caSecret,
    );
    assert.equal(caCerts.length, 1, "a Certificate makes the CA Issuer's secret");
    assert.equal(field(caCerts[0], "spec", "isCA"), true);
    const root = findOne(objects, "Issuer", str(field(caCerts[0], "spec", "issuerRef", "name"), "issuerRef"));
    assert.deepEqual(field(root, "spec", "selfSigned"), {});
    for (const o of [...findAll(objects, "Issuer"), ...findAll(objects, "Certificate")]) {
      assert.equal(o.metadata.namespace, "hostguard");
    }
  });
});

for (const name of ["self-signed", "pre-1.30"]) {
  describe(
    `overlay ${name}: certificates from certs/make-certs.sh`,
    { skip: OPENSSL_AVAILABLE ? false : NO_OPENSSL_MESSAGE },
    () => {
      test("caBundle and Secret hostguard-tls carry the generated files", () => {
        assert.ok(workspace);
        const objects = buildKustomization(workspace.overlay(name));
        const file = (f: string) => readFileSync(join(workspace?.certsOut ?? "", f)).toString("base64");
        assert.equal(field(theWebhook(objects), "clientConfig", "caBundle"), file("ca.crt"));
        assert.equal(
          field(webhookConfig(objects), "metadata", "annotations", "cert-manager.io/inject-ca-from"),
          undefined,
        );
        const secret = findOne(objects, "Secret", "hostguard-tls");
        assert.deepEqual(secret.data, {
          "tls.crt": file("tls.crt"),
          "tls.key": file("tls.key"),
          "ca.crt": file("ca.crt"),
        });
        assert.deepEqual(findAll(objects, "Certificate"), [], "no cert-manager objects");
      });
    },
  );
}

test("the self-signed overlay reads the script's default output directory, which git ignores", () => {
  const k = parse(
    readFileSync(join(REPO, "deploy", "overlays", "self-signed", "kustomization.yaml"), "utf8"),
  ) as Json;
  assert.deepEqual(field(k, "components"), ["../../../certs/out"]);
  const ignored = readFileSync(join(REPO, ".gitignore"), "utf8")
    .split("\n")
    .map((l) => l.trim());
  assert.ok(ignored.includes("certs/out/"), "certs/out/ (private keys) is git-ignored");
  const script = readFileSync(join(REPO, "certs", "make-certs.sh"), "utf8");
  assert.match(script, /out_dir="\$SCRIPT_DIR\/out"/, "the script's default is certs/out");
});

test("the base alone carries no certificate material (an overlay provides it)", () => {
  const objects = buildKustomization(join(REPO, "deploy", "base"));
  assert.deepEqual(findAll(objects, "Secret"), []);
  assert.equal(field(theWebhook(objects), "clientConfig", "caBundle"), undefined);
  assert.equal(field(webhookConfig(objects), "metadata", "annotations"), undefined);
});

test("the pre-1.30 overlay documents its trade-off and the recovery runbook", () => {
  const readme = readFileSync(join(REPO, "deploy", "overlays", "pre-1.30", "README.md"), "utf8").replace(
    /\s+/g,
    " ",
  );
  for (const needle of [
    "matchConditions",
    "calico-node",
    "calico-kube-controllers",
    "tigera-operator",
    "failurePolicy: Fail",
    "kubectl delete validatingwebhookconfiguration hostguard",
    "never themselves sent to admission",
  ]) {
    assert.ok(readme.includes(needle), `README mentions ${needle}`);
  }
});

// --- the opt-in NetworkPolicy component (issue 13) ---------------------------------------------------

describe("component network-policy", () => {
  const component = join(REPO, "deploy", "components", "network-policy");
  const monitoring = { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } };
  let dir = "";
  before(() => {
    dir = tempDir("netpol");
  });
  after(() => removeDir(dir));

  test("no overlay installs it by itself: the API server's addresses are the cluster's", () => {
    for (const overlay of ["base", "overlays/cert-manager"]) {
      assert.deepEqual(findAll(buildKustomization(join(REPO, "deploy", overlay)), "NetworkPolicy"), []);
    }
  });

  test("as shipped: a placeholder address that matches nothing, and how to replace it", () => {
    const overlay = join(dir, "as-shipped");
    mkdirSync(overlay);
    writeFileSync(
      join(overlay, "kustomization.yaml"),
      `resources: [${join(REPO, "deploy", "overlays", "cert-manager")}]\ncomponents: [${component}]\n`,
    );
    const objects = buildKustomization(overlay);
    checkNetworkPolicy(objects, KUSTOMIZE_EXPECT, {
      apiServerCidrs: ["192.0.2.1/32"],
      metricsNamespaceSelector: monitoring,
    });
    const text = readFileSync(join(component, "kustomization.yaml"), "utf8");
    assert.ok(text.includes("path: /spec/ingress/0/from"), "the component says how to set the addresses");
  });

  test("with the control-plane addresses patched in, as the component's comment shows", () => {
    const overlay = join(dir, "patched");
    mkdirSync(overlay);
    writeFileSync(
      join(overlay, "kustomization.yaml"),
      [
        `resources: [${join(REPO, "deploy", "overlays", "cert-manager")}]`,
        `components: [${component}]`,
        "patches:",
        "  - target: { kind: NetworkPolicy, name: hostguard }",
        "    patch: |",
        "      - op: replace",
        "        path: /spec/ingress/0/from",
        "        value:",
        "          - ipBlock: { cidr: 10.0.0.10/32 }",
        "          - ipBlock: { cidr: 10.42.0.1/32 }",
        "",
      ].join("\n"),
    );
    const objects = buildKustomization(overlay);
    checkNetworkPolicy(objects, KUSTOMIZE_EXPECT, {
      apiServerCidrs: ["10.0.0.10/32", "10.42.0.1/32"],
      metricsNamespaceSelector: monitoring,
    });
    // the rest of the overlay is unchanged
    const plain = buildKustomization(join(REPO, "deploy", "overlays", "cert-manager"));
    assert.deepEqual(
      objects.filter((o) => o.kind !== "NetworkPolicy"),
      plain,
    );
  });
});
