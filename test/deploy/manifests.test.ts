/**
 * deploy/: build every overlay (test/deploy/kustomize.ts) and check what the API server and the
 * kubelet will get: the webhook registration, RBAC, the hardened Deployment, certificates.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";
import { parseConfigYaml } from "../../src/config/index.js";
import { SHARED_DIR } from "../helpers/shared.js";
import {
  buildKustomization,
  field,
  findAll,
  findOne,
  isObject,
  list,
  obj,
  str,
  strings,
  type Json,
  type JsonObject,
  type K8sObject,
} from "./kustomize.js";
import {
  NO_OPENSSL_MESSAGE,
  OPENSSL_AVAILABLE,
  REPO,
  makeWorkspace,
  removeDir,
  type Workspace,
} from "./workspace.js";

const SIX_RESOURCES = [
  "globalnetworkpolicies",
  "hostendpoints",
  "globalnetworksets",
  "felixconfigurations",
  "kubecontrollersconfigurations",
  "tiers",
];
const API_GROUPS = [
  { group: "crd.projectcalico.org", version: "v1" },
  { group: "projectcalico.org", version: "v3" },
];
const OPERATIONS = ["CREATE", "UPDATE", "DELETE"];

/** design §3 and the brief: Calico's own writers, never sent to the webhook on >= 1.30. */
const CALICO_WRITERS = [
  "system:serviceaccount:kube-system:calico-node",
  "system:serviceaccount:calico-system:calico-node",
  "system:serviceaccount:kube-system:calico-kube-controllers",
  "system:serviceaccount:calico-system:calico-kube-controllers",
  "system:serviceaccount:tigera-operator:tigera-operator",
  "system:serviceaccount:calico-apiserver:calico-apiserver",
  // Canal's calico-node (RKE/RKE2), added for the rancher profile
  "system:serviceaccount:kube-system:canal",
];

/** The server's command-line contract (the image's ENTRYPOINT is `node dist/cli/main.js`). */
const SERVE_ARGS = [
  "serve",
  "--config",
  "/etc/hostguard/config.yaml",
  "--tls-cert",
  "/etc/hostguard/tls/tls.crt",
  "--tls-key",
  "/etc/hostguard/tls/tls.key",
  "--port",
  "8443",
  "--probe-port",
  "8080",
];

const SERVICE_DNS = "hostguard.hostguard.svc";

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

// --- accessors ------------------------------------------------------------------------------------

function webhookConfig(objects: K8sObject[]): K8sObject {
  return findOne(objects, "ValidatingWebhookConfiguration", "hostguard");
}

function theWebhook(objects: K8sObject[]): JsonObject {
  const hooks = list(webhookConfig(objects).webhooks, "webhooks");
  assert.equal(hooks.length, 1, "exactly one webhook");
  return obj(hooks[0], "webhooks[0]");
}

function deployment(objects: K8sObject[]): K8sObject {
  return findOne(objects, "Deployment", "hostguard");
}

function podSpec(objects: K8sObject[]): JsonObject {
  return obj(field(deployment(objects), "spec", "template", "spec"), "pod spec");
}

function container(objects: K8sObject[]): JsonObject {
  const containers = list(podSpec(objects).containers, "containers");
  assert.equal(containers.length, 1, "one container");
  return obj(containers[0], "containers[0]");
}

function podLabels(objects: K8sObject[]): JsonObject {
  return obj(field(deployment(objects), "spec", "template", "metadata", "labels"), "pod labels");
}

/** A selector's matchLabels select the pods: every pair is among the pod's labels. */
function selectsPods(selector: Json | undefined, labels: JsonObject): boolean {
  const match =
    field(selector, "matchLabels") ??
    (isObject(selector) && !("matchExpressions" in selector) ? selector : undefined);
  if (!isObject(match) || Object.keys(match).length === 0) return false;
  return Object.entries(match).every(([k, v]) => labels[k] === v);
}

/** A container port by number or name. */
function resolvePort(c: JsonObject, port: Json | undefined): number {
  if (typeof port === "number") return port;
  const name = str(port, "port");
  const found = list(c.ports, "ports").find((p) => field(p, "name") === name);
  assert.ok(found, `container port named ${name}`);
  return field(found, "containerPort") as number;
}

interface MountedFile {
  readonly source: "configMap" | "secret";
  readonly name: string;
  readonly key: string;
}

/** The files the container sees from ConfigMaps and Secrets, by path (items only). */
function mountedFiles(objects: K8sObject[]): Map<string, MountedFile> {
  const files = new Map<string, MountedFile>();
  const volumes = list(podSpec(objects).volumes, "volumes");
  for (const m of list(container(objects).volumeMounts, "volumeMounts")) {
    assert.equal(field(m, "subPath"), undefined, "no subPath mounts: the kubelet never updates them");
    const volume = volumes.find((v) => field(v, "name") === field(m, "name"));
    assert.ok(volume, `volume ${JSON.stringify(field(m, "name"))}`);
    const mountPath = str(field(m, "mountPath"), "mountPath");
    const sources: { source: "configMap" | "secret"; spec: Json | undefined }[] = [];
    for (const s of field(volume, "projected", "sources") === undefined
      ? [volume]
      : list(field(volume, "projected", "sources"), "projected sources")) {
      if (field(s, "configMap") !== undefined)
        sources.push({ source: "configMap", spec: field(s, "configMap") });
      if (field(s, "secret") !== undefined) sources.push({ source: "secret", spec: field(s, "secret") });
    }
    for (const { source, spec } of sources) {
      const name = str(field(spec, "name") ?? field(spec, "secretName"), `${source} name`);
      for (const item of list(field(spec, "items"), `${source} ${name} items`)) {
        files.set(`${mountPath}/${str(field(item, "path"), "item path")}`, {
          source,
          name,
          key: str(field(item, "key"), "item key"),
        });
      }
    }
  }
  return files;
}

function effective(objects: K8sObject[], key: string): Json | undefined {
  return field(container(objects), "securityContext", key) ?? field(podSpec(objects), "securityContext", key);
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

      test("registers one fail-closed, fast, side-effect-free webhook for AdmissionReview v1", () => {
        const hook = theWebhook(objects);
        assert.equal(hook.name, "validate.hostguard.dev");
        assert.equal(hook.failurePolicy, "Fail");
        assert.equal(typeof hook.timeoutSeconds, "number");
        assert.ok(
          (hook.timeoutSeconds as number) >= 1 && (hook.timeoutSeconds as number) <= 5,
          "timeoutSeconds <= 5",
        );
        assert.equal(hook.sideEffects, "None");
        assert.deepEqual(hook.admissionReviewVersions, ["v1"]);
        assert.equal(hook.matchPolicy, "Equivalent");
        assert.equal(field(hook, "clientConfig", "url"), undefined, "called through the Service, not a URL");
        assert.deepEqual(field(hook, "clientConfig", "service"), {
          name: "hostguard",
          namespace: "hostguard",
          path: "/validate",
          port: 443,
        });
        // no selector narrows it: all six kinds are cluster-scoped, and labels are the requester's to set
        assert.equal(hook.namespaceSelector, undefined);
        assert.equal(hook.objectSelector, undefined);
      });

      test("intercepts CREATE, UPDATE and DELETE of the six kinds in both Calico API groups", () => {
        const rules = list(theWebhook(objects).rules, "rules");
        for (const { group, version } of API_GROUPS) {
          const rule = rules.find((r) => strings(field(r, "apiGroups"), "apiGroups").includes(group));
          assert.ok(rule, `a rule for ${group}`);
          assert.deepEqual(strings(field(rule, "apiGroups"), "apiGroups"), [group]);
          assert.deepEqual(strings(field(rule, "apiVersions"), "apiVersions"), [version]);
          assert.deepEqual(
            [...strings(field(rule, "operations"), "operations")].sort(),
            [...OPERATIONS].sort(),
          );
          assert.deepEqual(
            [...strings(field(rule, "resources"), "resources")].sort(),
            [...SIX_RESOURCES].sort(),
          );
          assert.equal(field(rule, "scope"), "Cluster");
        }
        assert.equal(rules.length, 2, "no rule for anything else");
      });

      if (variant.matchConditions) {
        test("matchConditions skip each of Calico's own writers, and nothing else by identity", () => {
          const conditions = list(theWebhook(objects).matchConditions, "matchConditions");
          assert.ok(conditions.length <= 64, "the API server allows at most 64");
          const names = conditions.map((c) => str(field(c, "name"), "name"));
          assert.equal(new Set(names).size, names.length, "unique names");
          const exempted = conditions.flatMap((c) => {
            const m = /^request\.userInfo\.username != "([^"]+)"$/.exec(
              str(field(c, "expression"), "expression").trim(),
            );
            return m?.[1] ? [m[1]] : [];
          });
          assert.deepEqual([...exempted].sort(), [...CALICO_WRITERS].sort());
        });

        test("break-glass: skipped only for a requester authorized for bypass AND an annotated object", () => {
          const conditions = list(theWebhook(objects).matchConditions, "matchConditions");
          const breakGlass = conditions.filter((c) =>
            str(field(c, "expression"), "expression").includes("authorizer."),
          );
          assert.equal(breakGlass.length, 1);
          const expression = str(field(breakGlass[0], "expression"), "expression")
            .replace(/\s+/g, " ")
            .trim();
          // a false condition skips the webhook: the expression is the negation of "bypass"
          assert.ok(expression.startsWith("!("), expression);
          assert.ok(
            expression.includes(
              'authorizer.group("hostguard.dev").resource("breakglass").check("bypass").allowed()',
            ),
            expression,
          );
          // cluster-admin passes every authorizer check (RBAC wildcards), so the annotation is required too;
          // DELETE has no `object`, so the stored object is read instead
          assert.match(expression, /"hostguard\.dev\/bypass-webhook" in object\.metadata\.annotations/);
          assert.match(expression, /"hostguard\.dev\/bypass-webhook" in oldObject\.metadata\.annotations/);
          assert.match(expression, /request\.operation == "DELETE"/);
          assert.match(expression, /&& authorizer\./, "both are required");
        });
      } else {
        test("has no matchConditions (the API server would not know them)", () => {
          assert.equal(theWebhook(objects).matchConditions, undefined);
        });
      }

      test("RBAC: read-only access to nodes and the six kinds in both groups, bound to the pods' account", () => {
        const roles = findAll(objects, "ClusterRole");
        assert.deepEqual(
          roles.map((r) => r.metadata.name),
          ["hostguard"],
          "the server's role is the only role installed",
        );
        assert.deepEqual(findAll(objects, "Role"), []);
        const granted = new Set<string>();
        for (const rule of list(roles[0]?.rules, "rules")) {
          assert.equal(field(rule, "resourceNames"), undefined);
          assert.equal(field(rule, "nonResourceURLs"), undefined);
          const verbs = strings(field(rule, "verbs"), "verbs");
          assert.deepEqual([...verbs].sort(), ["get", "list", "watch"], "get, list and watch, nothing else");
          for (const group of strings(field(rule, "apiGroups"), "apiGroups")) {
            for (const resource of strings(field(rule, "resources"), "resources"))
              granted.add(`${group}/${resource}`);
          }
        }
        const expected = [
          "/nodes",
          ...API_GROUPS.flatMap(({ group }) => SIX_RESOURCES.map((r) => `${group}/${r}`)),
        ];
        assert.deepEqual([...granted].sort(), expected.sort());

        const bindings = findAll(objects, "ClusterRoleBinding");
        assert.equal(bindings.length, 1);
        assert.deepEqual(field(bindings[0], "roleRef"), {
          apiGroup: "rbac.authorization.k8s.io",
          kind: "ClusterRole",
          name: "hostguard",
        });
        assert.deepEqual(field(bindings[0], "subjects"), [
          { kind: "ServiceAccount", name: "hostguard", namespace: "hostguard" },
        ]);
        assert.equal(podSpec(objects).serviceAccountName, "hostguard");
        findOne(objects, "ServiceAccount", "hostguard");
      });

      test("the pod is hardened: non-root 65532, read-only root FS, no privilege escalation, no capabilities, RuntimeDefault seccomp", () => {
        assert.equal(effective(objects, "runAsNonRoot"), true);
        assert.equal(effective(objects, "runAsUser"), 65532);
        assert.equal(field(container(objects), "securityContext", "readOnlyRootFilesystem"), true);
        assert.equal(field(container(objects), "securityContext", "allowPrivilegeEscalation"), false);
        assert.notEqual(field(container(objects), "securityContext", "privileged"), true);
        assert.deepEqual(field(container(objects), "securityContext", "capabilities"), { drop: ["ALL"] });
        assert.deepEqual(effective(objects, "seccompProfile"), { type: "RuntimeDefault" });
        assert.equal(field(podSpec(objects), "hostNetwork"), undefined);
        const resources = obj(container(objects).resources, "resources");
        assert.ok(field(resources, "requests", "cpu") && field(resources, "requests", "memory"), "requests");
        assert.ok(field(resources, "limits", "memory"), "a memory limit");
        // the only writable place is the /tmp emptyDir
        const tmp = list(container(objects).volumeMounts, "volumeMounts").find(
          (m) => field(m, "mountPath") === "/tmp",
        );
        const tmpVolume = list(podSpec(objects).volumes, "volumes").find(
          (v) => field(v, "name") === field(tmp, "name"),
        );
        assert.ok(isObject(field(tmpVolume, "emptyDir")), "/tmp is an emptyDir");
        const ns = findOne(objects, "Namespace", "hostguard");
        assert.equal(field(ns, "metadata", "labels", "pod-security.kubernetes.io/enforce"), "restricted");
      });

      test("highly available: 2 replicas on different nodes, a PDB, system-cluster-critical", () => {
        const spec = obj(deployment(objects).spec, "spec");
        assert.equal(spec.replicas, 2);
        assert.ok(selectsPods(spec.selector, podLabels(objects)), "the Deployment selects its pods");
        const terms = list(
          field(
            podSpec(objects),
            "affinity",
            "podAntiAffinity",
            "requiredDuringSchedulingIgnoredDuringExecution",
          ),
          "required anti-affinity",
        );
        assert.ok(
          terms.some(
            (t) =>
              field(t, "topologyKey") === "kubernetes.io/hostname" &&
              selectsPods(field(t, "labelSelector"), podLabels(objects)),
          ),
          "no two replicas on one node",
        );
        assert.equal(
          field(spec, "strategy", "rollingUpdate", "maxSurge"),
          0,
          "no surge pod that could not be placed",
        );
        assert.equal(podSpec(objects).priorityClassName, "system-cluster-critical");
        const grace = podSpec(objects).terminationGracePeriodSeconds;
        assert.ok(typeof grace === "number" && grace >= 10 && grace <= 60, "time to drain in-flight reviews");
        const pdbs = findAll(objects, "PodDisruptionBudget");
        assert.equal(pdbs.length, 1);
        assert.equal(field(pdbs[0], "spec", "minAvailable"), 1);
        assert.ok(
          selectsPods(field(pdbs[0], "spec", "selector"), podLabels(objects)),
          "the PDB covers the pods",
        );
      });

      test("runs the server's contract: args, ports, probes and the files it reads", () => {
        const c = container(objects);
        assert.equal(c.command, undefined, "the image's ENTRYPOINT (node dist/cli/main.js) is kept");
        assert.deepEqual(c.args, SERVE_ARGS);
        assert.equal(resolvePort(c, "https"), 8443);
        assert.equal(field(c, "readinessProbe", "httpGet", "path"), "/readyz");
        assert.equal(resolvePort(c, field(c, "readinessProbe", "httpGet", "port")), 8080);
        assert.equal(field(c, "livenessProbe", "httpGet", "path"), "/healthz");
        assert.equal(resolvePort(c, field(c, "livenessProbe", "httpGet", "port")), 8080);
        assert.ok(isObject(c.startupProbe), "a startupProbe holds liveness off while the server starts");
        assert.equal(resolvePort(c, field(c, "startupProbe", "httpGet", "port")), 8080);
        assert.ok(
          [
            field(c, "readinessProbe", "httpGet", "scheme"),
            field(c, "livenessProbe", "httpGet", "scheme"),
          ].every((s) => s === undefined || s === "HTTP"),
          "the probe port is plain HTTP",
        );

        const files = mountedFiles(objects);
        const config = files.get("/etc/hostguard/config.yaml");
        assert.deepEqual(config, { source: "configMap", name: "hostguard-config", key: "config.yaml" });
        assert.deepEqual(files.get("/etc/hostguard/tls/tls.crt"), {
          source: "secret",
          name: "hostguard-tls",
          key: "tls.crt",
        });
        assert.deepEqual(files.get("/etc/hostguard/tls/tls.key"), {
          source: "secret",
          name: "hostguard-tls",
          key: "tls.key",
        });
        for (const flag of ["--config", "--tls-cert", "--tls-key"]) {
          const path = SERVE_ARGS[SERVE_ARGS.indexOf(flag) + 1] ?? "";
          assert.ok(files.has(path), `${flag} ${path} is mounted`);
        }
        // the Secret comes from the overlay: cert-manager writes it, or the script's secret.yaml
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

      test("the Service takes 443 to the pods' 8443 and is the one the webhook calls", () => {
        const service = findOne(objects, "Service", "hostguard");
        assert.equal(service.metadata.namespace, "hostguard");
        assert.ok(selectsPods(field(service, "spec", "selector"), podLabels(objects)), "selects the pods");
        const ports = list(field(service, "spec", "ports"), "ports");
        assert.equal(ports.length, 1);
        assert.equal(field(ports[0], "port"), 443);
        assert.equal(resolvePort(container(objects), field(ports[0], "targetPort")), 8443);
        const target = obj(field(theWebhook(objects), "clientConfig", "service"), "clientConfig.service");
        assert.equal(target.name, service.metadata.name);
        assert.equal(target.namespace, service.metadata.namespace);
        assert.equal(`${target.name}.${target.namespace}.svc`, SERVICE_DNS);
      });

      test("the ConfigMap's guard config is valid: enforce, rancher profile, break-glass for system:masters", () => {
        const text = str(
          field(findOne(objects, "ConfigMap", "hostguard-config"), "data", "config.yaml"),
          "config.yaml",
        );
        const parsed = parseConfigYaml(text);
        assert.ok(parsed.ok, parsed.ok ? "" : JSON.stringify(parsed.error));
        const raw = parse(text) as Json;
        assert.equal(field(raw, "mode"), "enforce");
        assert.deepEqual(field(raw, "profiles"), ["rancher"]);
        assert.deepEqual(field(raw, "breakGlass", "groups"), ["system:masters"]);
      });

      test("every namespaced object is in namespace hostguard", () => {
        const clusterScoped = new Set([
          "Namespace",
          "ClusterRole",
          "ClusterRoleBinding",
          "ValidatingWebhookConfiguration",
        ]);
        for (const o of objects) {
          if (clusterScoped.has(o.kind))
            assert.equal(o.metadata.namespace, undefined, `${o.kind} ${o.metadata.name}`);
          else assert.equal(o.metadata.namespace, "hostguard", `${o.kind} ${o.metadata.name}`);
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
