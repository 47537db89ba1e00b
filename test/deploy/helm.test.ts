/**
 * charts/hostguard: `helm lint` and `helm template` for every documented values set, the same
 * safety properties as the kustomize overlays (properties.ts), the certificate options, the
 * NetworkPolicy, monitoring, and values that must fail.
 */
import assert from "node:assert/strict";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { CHART, CHART_EXAMPLES, helmLint, helmTemplate, renderChart, type Render } from "./helm.js";
import {
  buildKustomization,
  field,
  findAll,
  findOne,
  list,
  obj,
  str,
  strings,
  type Json,
} from "./kustomize.js";
import {
  CALICO_WRITERS,
  KUSTOMIZE_EXPECT,
  checkNetworkPolicy,
  describeSafety,
  exemptedUsers,
  guardConfigText,
  serviceDNS,
  theWebhook,
  webhookConfig,
  type Expect,
} from "./properties.js";
import { REPO, removeDir, tempDir } from "./workspace.js";

const HELM_EXPECT: Expect = { ...KUSTOMIZE_EXPECT, createsNamespace: false };
const MONITORING = { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } };

interface Example {
  readonly file: string;
  readonly expect: Expect;
  readonly kubeVersion?: string;
}

/** Every file in charts/hostguard/examples, with what it should install. */
const EXAMPLES: Example[] = [
  { file: "default.yaml", expect: HELM_EXPECT },
  { file: "cert-manager.yaml", expect: HELM_EXPECT },
  { file: "own-secret.yaml", expect: HELM_EXPECT },
  { file: "pre-1.30.yaml", expect: { ...HELM_EXPECT, matchConditions: false }, kubeVersion: "1.27.0" },
  {
    file: "hardened.yaml",
    expect: { ...HELM_EXPECT, replicas: 3, mode: "warn", profiles: ["rancher", "kubeadm"] },
  },
];

function examplesValues(file: string): Json {
  return parse(readFileSync(join(CHART_EXAMPLES, file), "utf8")) as Json;
}

function failure(r: Render): string {
  const out = helmTemplate(r);
  assert.notEqual(out.status, 0, `helm template should fail for ${JSON.stringify(r)}`);
  return out.stderr;
}

test("every documented values file is tested", () => {
  assert.deepEqual(readdirSync(CHART_EXAMPLES).sort(), EXAMPLES.map((e) => e.file).sort());
});

for (const example of EXAMPLES) {
  describe(`chart with examples/${example.file}`, () => {
    const render: Render = { files: [example.file], kubeVersion: example.kubeVersion ?? "1.31.0" };

    test("helm lint --strict passes", () => {
      const out = helmLint(render);
      assert.equal(out.status, 0, `${out.stdout}${out.stderr}`);
      assert.match(out.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    });

    describeSafety(() => renderChart(render), example.expect);
  });
}

describe("chart under another release name and namespace", () => {
  const expect: Expect = {
    ...HELM_EXPECT,
    name: "guard-hostguard",
    namespace: "security",
    configMap: "guard-hostguard-config",
    tlsSecret: "guard-hostguard-tls",
  };
  describeSafety(() => renderChart({ release: "guard", namespace: "security" }), expect);

  test("the generated certificate is for guard-hostguard.security.svc", () => {
    const objects = renderChart({ release: "guard", namespace: "security" });
    const tls = new X509Certificate(
      Buffer.from(
        str(field(findOne(objects, "Secret", expect.tlsSecret), "data", "tls.crt"), "crt"),
        "base64",
      ),
    );
    assert.ok(tls.checkHost(serviceDNS(expect)));
  });
});

// --- the chart and kustomize install the same webhook ---------------------------------------------

test("the chart's webhook is the kustomize base's: same rules, policies and exemptions", () => {
  const chart = theWebhook(renderChart(), HELM_EXPECT);
  const base = theWebhook(buildKustomization(join(REPO, "deploy", "base")));
  const comparable = (hook: Json) => {
    const { clientConfig: _c, matchConditions, ...rest } = obj(hook, "webhook");
    return {
      ...rest,
      expressions: list(matchConditions, "matchConditions")
        .map((c) => str(field(c, "expression"), "expression").replace(/\s+/g, " ").trim())
        .sort(),
    };
  };
  assert.deepEqual(comparable(chart), comparable(base));
  const chartRole = findOne(renderChart(), "ClusterRole", "hostguard");
  const baseRole = findOne(buildKustomization(join(REPO, "deploy", "base")), "ClusterRole", "hostguard");
  assert.deepEqual(chartRole.rules, baseRole.rules);
});

// --- certificates -----------------------------------------------------------------------------------

describe("certificates", () => {
  test("generate (default): a Secret whose certificate the caBundle verifies, for the Service's names", () => {
    const objects = renderChart();
    const secret = findOne(objects, "Secret", "hostguard-tls");
    assert.equal(secret.type, "kubernetes.io/tls");
    const data = obj(secret.data, "data");
    const pem = (key: string) => Buffer.from(str(data[key], key), "base64");
    const tls = new X509Certificate(pem("tls.crt"));
    const caBundle = str(field(theWebhook(objects), "clientConfig", "caBundle"), "caBundle");
    assert.equal(caBundle, str(data["ca.crt"], "ca.crt"), "a fresh install trusts exactly its own CA");
    const ca = new X509Certificate(Buffer.from(caBundle, "base64"));
    assert.equal(ca.ca, true);
    assert.ok(tls.checkIssued(ca) && tls.verify(ca.publicKey), "signed by the caBundle's CA");
    assert.ok(tls.checkHost("hostguard.hostguard.svc"));
    assert.ok(tls.checkHost("hostguard.hostguard.svc.cluster.local"));
    assert.ok(tls.checkPrivateKey(createPrivateKey(pem("tls.key"))), "tls.key belongs to tls.crt");
    // the renewal bookkeeping an upgrade reads back through lookup
    const notAfter = str(field(secret, "metadata", "annotations", "hostguard.dev/not-after"), "not-after");
    const days = (Date.parse(notAfter) - Date.parse(tls.validFrom)) / 86_400_000;
    assert.ok(Math.abs(days - 365) < 2, `not-after ${notAfter} is about 365 days after ${tls.validFrom}`);
    assert.ok(Math.abs(Date.parse(tls.validTo) - Date.parse(notAfter)) < 2 * 86_400_000);
    assert.equal(
      field(secret, "metadata", "annotations", "hostguard.dev/dns-name"),
      "hostguard.hostguard.svc",
    );
    assert.deepEqual(findAll(objects, "Certificate"), [], "no cert-manager objects");
  });

  test("generate: validityDays sets the certificate's lifetime", () => {
    const objects = renderChart({ set: ["certificates.generate.validityDays=30"] });
    const tls = new X509Certificate(
      Buffer.from(
        str(field(findOne(objects, "Secret", "hostguard-tls"), "data", "tls.crt"), "crt"),
        "base64",
      ),
    );
    assert.equal(Math.round((Date.parse(tls.validTo) - Date.parse(tls.validFrom)) / 86_400_000), 30);
  });

  test("cert-manager: the CA chain as in deploy/overlays/cert-manager, the injector fills caBundle", () => {
    const objects = renderChart({ files: ["cert-manager.yaml"] });
    const source = str(
      field(webhookConfig(objects), "metadata", "annotations", "cert-manager.io/inject-ca-from"),
      "inject-ca-from",
    );
    assert.equal(source, "hostguard/hostguard-serving");
    assert.equal(field(theWebhook(objects), "clientConfig", "caBundle"), undefined, "left to the injector");
    const serving = findOne(objects, "Certificate", "hostguard-serving");
    assert.equal(serving.metadata.namespace, "hostguard");
    assert.equal(field(serving, "spec", "secretName"), "hostguard-tls");
    assert.deepEqual(strings(field(serving, "spec", "dnsNames"), "dnsNames"), [
      "hostguard.hostguard.svc",
      "hostguard.hostguard.svc.cluster.local",
    ]);
    const caIssuer = findOne(objects, "Issuer", str(field(serving, "spec", "issuerRef", "name"), "issuer"));
    const caCert = findOne(objects, "Certificate", "hostguard-ca");
    assert.equal(field(caCert, "spec", "isCA"), true);
    assert.equal(field(caIssuer, "spec", "ca", "secretName"), field(caCert, "spec", "secretName"));
    assert.deepEqual(field(findOne(objects, "Issuer", "hostguard-selfsigned"), "spec", "selfSigned"), {});
    assert.deepEqual(findAll(objects, "Secret"), [], "cert-manager writes the Secret");
    // the same objects as the kustomize overlay, apart from labels
    const overlay = buildKustomization(join(REPO, "deploy", "overlays", "cert-manager"));
    for (const kind of ["Issuer", "Certificate"]) {
      const specs = (list: typeof objects) =>
        findAll(list, kind)
          .map((o) => ({ name: o.metadata.name, spec: o.spec }))
          .sort((a, b) => a.name.localeCompare(b.name));
      assert.deepEqual(specs(objects), specs(overlay), kind);
    }
  });

  test("cert-manager with your own issuer: no chart CA, the serving Certificate uses it", () => {
    const objects = renderChart({
      set: [
        "certificates.source=cert-manager",
        "certificates.certManager.issuerRef.kind=ClusterIssuer",
        "certificates.certManager.issuerRef.name=corp-ca",
      ],
    });
    assert.deepEqual(findAll(objects, "Issuer"), []);
    assert.deepEqual(
      findAll(objects, "Certificate").map((c) => c.metadata.name),
      ["hostguard-serving"],
    );
    assert.deepEqual(field(findOne(objects, "Certificate", "hostguard-serving"), "spec", "issuerRef"), {
      kind: "ClusterIssuer",
      name: "corp-ca",
    });
  });

  test("secret: your Secret is mounted and your CA is the caBundle; the chart makes no certificate", () => {
    const objects = renderChart({
      files: ["own-secret.yaml"],
      set: ["certificates.secret.name=corp-tls", "certificates.secret.caBundle=Q0E="],
    });
    assert.equal(field(theWebhook(objects), "clientConfig", "caBundle"), "Q0E=");
    assert.deepEqual(findAll(objects, "Secret"), []);
    assert.deepEqual(findAll(objects, "Certificate"), []);
    const sources = list(
      field(
        findOne(objects, "Deployment", "hostguard"),
        "spec",
        "template",
        "spec",
        "volumes",
        0,
        "projected",
        "sources",
      ),
      "sources",
    );
    assert.ok(sources.some((s) => field(s, "secret", "name") === "corp-tls"));
  });
});

// --- matchConditions --------------------------------------------------------------------------------

describe("matchConditions", () => {
  const conditions = (r: Render) => theWebhook(renderChart(r)).matchConditions;

  test("auto: on from API server 1.30, off before", () => {
    assert.ok(Array.isArray(conditions({ kubeVersion: "1.30.0" })));
    assert.equal(conditions({ kubeVersion: "1.29.4" }), undefined);
    assert.equal(conditions({ kubeVersion: "1.27.0" }), undefined);
  });

  test("true or false overrides the version (true for 1.28/1.29 with the beta gate on)", () => {
    assert.ok(Array.isArray(conditions({ kubeVersion: "1.28.0", set: ["webhook.matchConditions=true"] })));
    assert.equal(conditions({ kubeVersion: "1.31.0", set: ["webhook.matchConditions=false"] }), undefined);
  });

  test("exemptServiceAccounts: your list replaces the Calico defaults; the break-glass bypass can be left out", () => {
    const objects = renderChart({
      set: [
        "webhook.exemptServiceAccounts={calico-system:calico-node,argocd:argocd-application-controller}",
        "webhook.breakGlassBypass=false",
      ],
    });
    assert.deepEqual(exemptedUsers(objects, HELM_EXPECT), [
      "system:serviceaccount:calico-system:calico-node",
      "system:serviceaccount:argocd:argocd-application-controller",
    ]);
    assert.equal(list(theWebhook(objects).matchConditions, "matchConditions").length, 2);
    assert.deepEqual([...exemptedUsers(renderChart(), HELM_EXPECT)].sort(), [...CALICO_WRITERS].sort());
  });
});

// --- guard config -------------------------------------------------------------------------------------

describe("guard config", () => {
  const config = (r: Render) => parse(guardConfigText(renderChart(r), HELM_EXPECT)) as Json;

  test("forbidden: absent from config.yaml when empty, passed through verbatim otherwise", () => {
    assert.equal(field(config({}), "forbidden"), undefined);
    const values = examplesValues("hardened.yaml");
    assert.deepEqual(
      field(config({ files: ["hardened.yaml"] }), "forbidden"),
      field(values, "config", "forbidden"),
    );
  });

  test("requirements, failsafe and coverage reach config.yaml as written", () => {
    const written = config({
      files: ["hardened.yaml"],
      set: ["config.failsafe.inbound=none", "config.coverage.nodes=has(hostguard)"],
    });
    assert.deepEqual(
      field(written, "requirements"),
      field(examplesValues("hardened.yaml"), "config", "requirements"),
    );
    assert.deepEqual(field(written, "failsafe"), { inbound: "none" });
    assert.deepEqual(field(written, "coverage"), { nodes: "has(hostguard)" });
    assert.equal(field(config({}), "failsafe"), undefined, "{} leaves the server's default");
  });
});

// --- NetworkPolicy, monitoring, registration ------------------------------------------------------------

describe("NetworkPolicy", () => {
  test("off by default", () => {
    assert.deepEqual(findAll(renderChart(), "NetworkPolicy"), []);
  });

  test("hardened.yaml: the webhook port from the control-plane CIDRs, metrics from monitoring", () => {
    const values = examplesValues("hardened.yaml");
    checkNetworkPolicy(renderChart({ files: ["hardened.yaml"] }), HELM_EXPECT, {
      apiServerCidrs: strings(field(values, "networkPolicy", "apiServer", "cidrs"), "cidrs"),
      metricsNamespaceSelector: MONITORING,
    });
  });

  test("extra peers (a konnectivity agent) are added to the webhook port's sources", () => {
    const objects = renderChart({
      set: [
        "networkPolicy.enabled=true",
        "networkPolicy.apiServer.peers[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name=kube-system",
        "networkPolicy.apiServer.peers[0].podSelector.matchLabels.k8s-app=konnectivity-agent",
      ],
    });
    const from = list(
      field(findOne(objects, "NetworkPolicy", "hostguard"), "spec", "ingress", 0, "from"),
      "from",
    );
    assert.deepEqual(from, [
      {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
        podSelector: { matchLabels: { "k8s-app": "konnectivity-agent" } },
      },
    ]);
  });
});

describe("monitoring", () => {
  test("off by default: no ServiceMonitor, PrometheusRule or metrics Service", () => {
    const objects = renderChart();
    assert.deepEqual(findAll(objects, "ServiceMonitor"), []);
    assert.deepEqual(findAll(objects, "PrometheusRule"), []);
    assert.deepEqual(
      findAll(objects, "Service").map((s) => s.metadata.name),
      ["hostguard"],
    );
  });

  test("the PrometheusRule is deploy/monitoring's (one file), renamed after the release", () => {
    const monitoring = buildKustomization(join(REPO, "deploy", "monitoring"));
    const kustomized = findOne(monitoring, "PrometheusRule", "hostguard");
    const objects = renderChart({ files: ["cert-manager.yaml"] });
    const rule = findOne(objects, "PrometheusRule", "hostguard");
    assert.deepEqual(rule.spec, kustomized.spec);
    assert.equal(field(rule, "metadata", "labels", "release"), "kube-prometheus-stack");

    const renamed = findOne(
      renderChart({ release: "guard", namespace: "security", set: ["metrics.prometheusRule.enabled=true"] }),
      "PrometheusRule",
      "guard-hostguard",
    );
    const text = JSON.stringify(renamed.spec);
    assert.match(text, /namespace=\\"security\\", deployment=\\"guard-hostguard\\"/);
    assert.doesNotMatch(text, /namespace=\\"hostguard\\"|deployment=\\"hostguard\\"/);
  });

  test("the ServiceMonitor scrapes /metrics on the pods' probe port through the metrics Service", () => {
    const objects = renderChart({ files: ["cert-manager.yaml"] });
    const monitor = findOne(objects, "ServiceMonitor", "hostguard");
    const service = findOne(objects, "Service", "hostguard-metrics");
    for (const [k, v] of Object.entries(obj(field(monitor, "spec", "selector", "matchLabels"), "selector"))) {
      assert.equal(field(service, "metadata", "labels", k), v);
    }
    assert.deepEqual(field(monitor, "spec", "namespaceSelector", "matchNames"), ["hostguard"]);
    assert.equal(field(monitor, "spec", "endpoints", 0, "path"), "/metrics");
    assert.equal(field(monitor, "spec", "endpoints", 0, "port"), "metrics");
    assert.equal(field(service, "spec", "ports", 0, "name"), "metrics");
    assert.equal(field(service, "spec", "ports", 0, "targetPort"), "probes");
    assert.equal(field(service, "spec", "clusterIP"), "None");
  });
});

test("webhook.enabled=false installs everything but the registration (the first step of a no-denial install)", () => {
  const objects = renderChart({ set: ["webhook.enabled=false"] });
  assert.deepEqual(findAll(objects, "ValidatingWebhookConfiguration"), []);
  findOne(objects, "Deployment", "hostguard");
  findOne(objects, "Secret", "hostguard-tls");
});

test("the registration is rendered last, so uninstall removes it first", () => {
  const objects = renderChart({ files: ["hardened.yaml"] });
  assert.equal(objects.at(-1)?.kind, "ValidatingWebhookConfiguration");
});

test("image: tag defaults to the chart's appVersion; a digest pins it", () => {
  const image = (r: Render) =>
    field(
      findOne(renderChart(r), "Deployment", "hostguard"),
      "spec",
      "template",
      "spec",
      "containers",
      0,
      "image",
    );
  const chart = parse(readFileSync(join(CHART, "Chart.yaml"), "utf8")) as Json;
  assert.equal(image({}), `hostguard:${str(field(chart, "appVersion"), "appVersion")}`);
  const digest = `sha256:${"a".repeat(64)}`;
  assert.equal(
    image({ set: ["image.repository=registry.example/hostguard", `image.digest=${digest}`] }),
    `registry.example/hostguard@${digest}`,
  );
});

// --- values that must fail, with a message that says what to fix -------------------------------------

describe("invalid values fail helm template (as helm install) with a clear message", () => {
  // `schema`: values.schema.json rejects them, so helm lint fails too. The others are cross-field
  // checks (templates/_helpers.tpl "hostguard.validate"): Helm's lint mode reports `fail` and
  // `required` as INFO only, while template, install and upgrade stop on them.
  const cases: { name: string; render: Render; message: RegExp; schema?: true }[] = [
    {
      name: "a typo in a guard config key",
      render: { set: ["config.mod=warn"] },
      message: /config: Additional property mod is not allowed/,
      schema: true,
    },
    {
      name: "a typo at the top level",
      render: { set: ["replica=3"] },
      message: /Additional property replica is not allowed/,
      schema: true,
    },
    {
      name: "an unknown mode",
      render: { set: ["config.mode=block"] },
      message: /config\.mode/,
      schema: true,
    },
    {
      name: "an unknown profile",
      render: { set: ["config.profiles={ranchr}"] },
      message: /config\.profiles\.0/,
      schema: true,
    },
    {
      name: "timeoutSeconds above 5",
      render: { set: ["webhook.timeoutSeconds=10"] },
      message: /webhook\.timeoutSeconds: Must be less than or equal to 5/,
      schema: true,
    },
    {
      name: "an unknown certificate source",
      render: { set: ["certificates.source=vault"] },
      message: /certificates\.source/,
      schema: true,
    },
    {
      name: "a CIDR that is not one",
      render: { set: ["networkPolicy.apiServer.cidrs={10.0.0.10}"] },
      message: /networkPolicy\.apiServer\.cidrs\.0/,
      schema: true,
    },
    {
      name: "a malformed exempt service account",
      render: { set: ["webhook.exemptServiceAccounts={calico-node}"] },
      message: /webhook\.exemptServiceAccounts\.0/,
      schema: true,
    },
    {
      name: "a NetworkPolicy without the API server's addresses",
      render: { set: ["networkPolicy.enabled=true"] },
      message: /networkPolicy\.enabled=true needs networkPolicy\.apiServer\.cidrs/,
    },
    {
      name: "one replica with the PDB (no drain could ever evict it)",
      render: { set: ["replicas=1"] },
      message: /podDisruptionBudget\.minAvailable \(1\) must be below replicas \(1\)/,
    },
    {
      name: "certificates.source=secret without the Secret's name",
      render: { set: ["certificates.source=secret", "certificates.secret.caBundle=Q0E="] },
      message: /certificates\.secret\.name/,
    },
    {
      name: "certificates.source=secret without the CA",
      render: { set: ["certificates.source=secret", "certificates.secret.name=x"] },
      message: /certificates\.secret\.caBundle/,
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.match(failure(c.render), c.message);
      if (c.schema) assert.notEqual(helmLint(c.render).status, 0, "helm lint fails too");
    });
  }

  test("a typo in a values file (-f) fails the same way", () => {
    const dir = tempDir("helm-values");
    try {
      const file = join(dir, "values.yaml");
      writeFileSync(file, "networkPolicy:\n  enabled: true\n  apiserver:\n    cidrs: [10.0.0.10/32]\n");
      assert.match(failure({ files: [file] }), /networkPolicy: Additional property apiserver is not allowed/);
    } finally {
      removeDir(dir);
    }
  });
});

// --- the chart's README -----------------------------------------------------------------------------

test("the chart README's values table documents every key of values.yaml", () => {
  const readme = readFileSync(join(CHART, "README.md"), "utf8");
  const documented = new Set<string>();
  for (const row of readme.split("\n").filter((l) => l.startsWith("| `"))) {
    let parent = "";
    for (const [, token = ""] of (row.split("|")[1] ?? "").matchAll(/`([^`]+)`/g)) {
      const path = token.startsWith(".") ? `${parent}${token}` : token;
      parent = path.slice(0, path.lastIndexOf("."));
      documented.add(path);
    }
  }
  const missing: string[] = [];
  const walk = (value: Json, path: string): void => {
    if (documented.has(path)) return;
    const o = value !== null && typeof value === "object" && !Array.isArray(value) ? value : undefined;
    if (!o || Object.keys(o).length === 0) {
      missing.push(path);
      return;
    }
    for (const [key, child] of Object.entries(o)) walk(child, path ? `${path}.${key}` : key);
  };
  walk(parse(readFileSync(join(CHART, "values.yaml"), "utf8")) as Json, "");
  assert.deepEqual(missing, []);
});
