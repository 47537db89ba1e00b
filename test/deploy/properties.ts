/**
 * The safety properties of an installed hostguard, whichever installer rendered it: the kustomize
 * overlays (manifests.test.ts) and the Helm chart (helm.test.ts) register the same tests through
 * `describeSafety`, with what differs between them (names, namespace, replicas...) in `Expect`.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parse } from "yaml";
import { parseConfigYaml } from "../../src/config/index.js";
import {
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

export const SIX_RESOURCES = [
  "globalnetworkpolicies",
  "hostendpoints",
  "globalnetworksets",
  "felixconfigurations",
  "kubecontrollersconfigurations",
  "tiers",
];
export const API_GROUPS = [
  { group: "crd.projectcalico.org", version: "v1" },
  { group: "projectcalico.org", version: "v3" },
];
const OPERATIONS = ["CREATE", "UPDATE", "DELETE"];

/** design §3 and the brief: Calico's own writers, never sent to the webhook on >= 1.30. */
export const CALICO_WRITERS = [
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
export const SERVE_ARGS = [
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

export const WEBHOOK_PORT = 8443;
export const PROBE_PORT = 8080;

/** What one installation is expected to look like. */
export interface Expect {
  /** name of the Deployment, Service, ServiceAccount, ClusterRole(Binding) and webhook configuration */
  readonly name: string;
  readonly namespace: string;
  readonly configMap: string;
  readonly tlsSecret: string;
  readonly matchConditions: boolean;
  readonly replicas: number;
  /** whether the installer creates the Namespace (with the restricted Pod Security Standard) */
  readonly createsNamespace: boolean;
  /** the guard config's mode and profiles */
  readonly mode: string;
  readonly profiles: readonly string[];
}

export const KUSTOMIZE_EXPECT: Expect = {
  name: "hostguard",
  namespace: "hostguard",
  configMap: "hostguard-config",
  tlsSecret: "hostguard-tls",
  matchConditions: true,
  replicas: 2,
  createsNamespace: true,
  mode: "enforce",
  profiles: ["rancher"],
};

export function serviceDNS(e: Expect): string {
  return `${e.name}.${e.namespace}.svc`;
}

// --- accessors ------------------------------------------------------------------------------------

export function webhookConfig(objects: K8sObject[], e: Expect = KUSTOMIZE_EXPECT): K8sObject {
  return findOne(objects, "ValidatingWebhookConfiguration", e.name);
}

export function theWebhook(objects: K8sObject[], e: Expect = KUSTOMIZE_EXPECT): JsonObject {
  const hooks = list(webhookConfig(objects, e).webhooks, "webhooks");
  assert.equal(hooks.length, 1, "exactly one webhook");
  return obj(hooks[0], "webhooks[0]");
}

function deployment(objects: K8sObject[], e: Expect): K8sObject {
  return findOne(objects, "Deployment", e.name);
}

function podSpec(objects: K8sObject[], e: Expect): JsonObject {
  return obj(field(deployment(objects, e), "spec", "template", "spec"), "pod spec");
}

function container(objects: K8sObject[], e: Expect): JsonObject {
  const containers = list(podSpec(objects, e).containers, "containers");
  assert.equal(containers.length, 1, "one container");
  return obj(containers[0], "containers[0]");
}

export function podLabels(objects: K8sObject[], e: Expect = KUSTOMIZE_EXPECT): JsonObject {
  return obj(field(deployment(objects, e), "spec", "template", "metadata", "labels"), "pod labels");
}

/** A selector's matchLabels select the pods: every pair is among the pod's labels. */
export function selectsPods(selector: Json | undefined, labels: JsonObject): boolean {
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
function mountedFiles(objects: K8sObject[], e: Expect): Map<string, MountedFile> {
  const files = new Map<string, MountedFile>();
  const volumes = list(podSpec(objects, e).volumes, "volumes");
  for (const m of list(container(objects, e).volumeMounts, "volumeMounts")) {
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

function effective(objects: K8sObject[], e: Expect, key: string): Json | undefined {
  return (
    field(container(objects, e), "securityContext", key) ?? field(podSpec(objects, e), "securityContext", key)
  );
}

/** The guard config's text, from the ConfigMap the pods mount. */
export function guardConfigText(objects: K8sObject[], e: Expect = KUSTOMIZE_EXPECT): string {
  return str(field(findOne(objects, "ConfigMap", e.configMap), "data", "config.yaml"), "config.yaml");
}

/** The user names the matchConditions exempt (`request.userInfo.username != "..."`). */
export function exemptedUsers(objects: K8sObject[], e: Expect = KUSTOMIZE_EXPECT): string[] {
  return list(theWebhook(objects, e).matchConditions, "matchConditions").flatMap((c) => {
    const m = /^request\.userInfo\.username != "([^"]+)"$/.exec(
      str(field(c, "expression"), "expression").trim(),
    );
    return m?.[1] ? [m[1]] : [];
  });
}

// --- the tests ------------------------------------------------------------------------------------

/**
 * Registers the safety tests (inside the caller's describe) for the objects `load` returns; `load`
 * runs in a `before` hook of the caller, or lazily here.
 */
export function describeSafety(load: () => K8sObject[], e: Expect): void {
  let memo: K8sObject[] | undefined;
  const objects = (): K8sObject[] => (memo ??= load());

  test("registers one fail-closed, fast, side-effect-free webhook for AdmissionReview v1", () => {
    const hook = theWebhook(objects(), e);
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
      name: e.name,
      namespace: e.namespace,
      path: "/validate",
      port: 443,
    });
    // no selector narrows it: all six kinds are cluster-scoped, and labels are the requester's to set
    assert.equal(hook.namespaceSelector, undefined);
    assert.equal(hook.objectSelector, undefined);
  });

  test("intercepts CREATE, UPDATE and DELETE of the six kinds in both Calico API groups", () => {
    const rules = list(theWebhook(objects(), e).rules, "rules");
    for (const { group, version } of API_GROUPS) {
      const rule = rules.find((r) => strings(field(r, "apiGroups"), "apiGroups").includes(group));
      assert.ok(rule, `a rule for ${group}`);
      assert.deepEqual(strings(field(rule, "apiGroups"), "apiGroups"), [group]);
      assert.deepEqual(strings(field(rule, "apiVersions"), "apiVersions"), [version]);
      assert.deepEqual([...strings(field(rule, "operations"), "operations")].sort(), [...OPERATIONS].sort());
      assert.deepEqual([...strings(field(rule, "resources"), "resources")].sort(), [...SIX_RESOURCES].sort());
      assert.equal(field(rule, "scope"), "Cluster");
    }
    assert.equal(rules.length, 2, "no rule for anything else");
  });

  if (e.matchConditions) {
    test("matchConditions skip each of Calico's own writers, and nothing else by identity", () => {
      const conditions = list(theWebhook(objects(), e).matchConditions, "matchConditions");
      assert.ok(conditions.length <= 64, "the API server allows at most 64");
      const names = conditions.map((c) => str(field(c, "name"), "name"));
      assert.equal(new Set(names).size, names.length, "unique names");
      for (const name of names) assert.match(name, /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, name);
      assert.deepEqual([...exemptedUsers(objects(), e)].sort(), [...CALICO_WRITERS].sort());
    });

    test("break-glass: skipped only for a requester authorized for bypass AND an annotated object", () => {
      const conditions = list(theWebhook(objects(), e).matchConditions, "matchConditions");
      const breakGlass = conditions.filter((c) =>
        str(field(c, "expression"), "expression").includes("authorizer."),
      );
      assert.equal(breakGlass.length, 1);
      const expression = str(field(breakGlass[0], "expression"), "expression").replace(/\s+/g, " ").trim();
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
      assert.equal(theWebhook(objects(), e).matchConditions, undefined);
    });
  }

  test("RBAC: read-only access to nodes and the six kinds in both groups, bound to the pods' account", () => {
    const roles = findAll(objects(), "ClusterRole");
    assert.deepEqual(
      roles.map((r) => r.metadata.name),
      [e.name],
      "the server's role is the only role installed",
    );
    assert.deepEqual(findAll(objects(), "Role"), []);
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

    const bindings = findAll(objects(), "ClusterRoleBinding");
    assert.equal(bindings.length, 1);
    assert.deepEqual(field(bindings[0], "roleRef"), {
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: e.name,
    });
    assert.deepEqual(field(bindings[0], "subjects"), [
      { kind: "ServiceAccount", name: e.name, namespace: e.namespace },
    ]);
    assert.equal(podSpec(objects(), e).serviceAccountName, e.name);
    findOne(objects(), "ServiceAccount", e.name);
  });

  test("the pod is hardened: non-root 65532, read-only root FS, no privilege escalation, no capabilities, RuntimeDefault seccomp, resource limits", () => {
    const o = objects();
    assert.equal(effective(o, e, "runAsNonRoot"), true);
    assert.equal(effective(o, e, "runAsUser"), 65532);
    const c = container(o, e);
    assert.equal(field(c, "securityContext", "readOnlyRootFilesystem"), true);
    assert.equal(field(c, "securityContext", "allowPrivilegeEscalation"), false);
    assert.notEqual(field(c, "securityContext", "privileged"), true);
    assert.deepEqual(field(c, "securityContext", "capabilities"), { drop: ["ALL"] });
    assert.deepEqual(effective(o, e, "seccompProfile"), { type: "RuntimeDefault" });
    assert.equal(field(podSpec(o, e), "hostNetwork"), undefined);
    const resources = obj(c.resources, "resources");
    assert.ok(field(resources, "requests", "cpu") && field(resources, "requests", "memory"), "requests");
    assert.ok(field(resources, "limits", "memory"), "a memory limit");
    // the heap cap stays below the memory limit
    const heap = /--max-old-space-size=(\d+)/.exec(
      String(
        field(
          list(c.env, "env").find((v) => field(v, "name") === "NODE_OPTIONS"),
          "value",
        ),
      ),
    );
    assert.ok(heap?.[1], "NODE_OPTIONS caps the heap");
    const limit = /^(\d+)Mi$/.exec(String(field(resources, "limits", "memory")));
    if (limit?.[1]) assert.ok(Number(heap[1]) < Number(limit[1]), "heap cap below the memory limit");
    // the only writable place is the /tmp emptyDir
    const tmp = list(c.volumeMounts, "volumeMounts").find((m) => field(m, "mountPath") === "/tmp");
    const tmpVolume = list(podSpec(o, e).volumes, "volumes").find(
      (v) => field(v, "name") === field(tmp, "name"),
    );
    assert.ok(isObject(field(tmpVolume, "emptyDir")), "/tmp is an emptyDir");
    if (e.createsNamespace) {
      const ns = findOne(o, "Namespace", e.namespace);
      assert.equal(field(ns, "metadata", "labels", "pod-security.kubernetes.io/enforce"), "restricted");
    } else {
      assert.deepEqual(findAll(o, "Namespace"), [], "the release namespace is not the chart's");
    }
  });

  test(`highly available: ${e.replicas} replicas on different nodes, a PDB, system-cluster-critical`, () => {
    const o = objects();
    const spec = obj(deployment(o, e).spec, "spec");
    assert.equal(spec.replicas, e.replicas);
    assert.ok(e.replicas >= 2, "failurePolicy Fail needs a second replica");
    assert.ok(selectsPods(spec.selector, podLabels(o, e)), "the Deployment selects its pods");
    const terms = list(
      field(podSpec(o, e), "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution"),
      "required anti-affinity",
    );
    assert.ok(
      terms.some(
        (t) =>
          field(t, "topologyKey") === "kubernetes.io/hostname" &&
          selectsPods(field(t, "labelSelector"), podLabels(o, e)),
      ),
      "no two replicas on one node",
    );
    assert.equal(
      field(spec, "strategy", "rollingUpdate", "maxSurge"),
      0,
      "no surge pod that could not be placed",
    );
    assert.equal(podSpec(o, e).priorityClassName, "system-cluster-critical");
    const grace = podSpec(o, e).terminationGracePeriodSeconds;
    assert.ok(typeof grace === "number" && grace >= 10 && grace <= 60, "time to drain in-flight reviews");
    const pdbs = findAll(o, "PodDisruptionBudget");
    assert.equal(pdbs.length, 1);
    const minAvailable = field(pdbs[0], "spec", "minAvailable");
    assert.ok(typeof minAvailable === "number" && minAvailable >= 1 && minAvailable < e.replicas);
    assert.ok(selectsPods(field(pdbs[0], "spec", "selector"), podLabels(o, e)), "the PDB covers the pods");
  });

  test("runs the server's contract: args, ports, probes and the files it reads", () => {
    const c = container(objects(), e);
    assert.equal(c.command, undefined, "the image's ENTRYPOINT (node dist/cli/main.js) is kept");
    assert.deepEqual(c.args, SERVE_ARGS);
    assert.equal(resolvePort(c, "https"), WEBHOOK_PORT);
    assert.equal(field(c, "readinessProbe", "httpGet", "path"), "/readyz");
    assert.equal(resolvePort(c, field(c, "readinessProbe", "httpGet", "port")), PROBE_PORT);
    assert.equal(field(c, "livenessProbe", "httpGet", "path"), "/healthz");
    assert.equal(resolvePort(c, field(c, "livenessProbe", "httpGet", "port")), PROBE_PORT);
    assert.ok(isObject(c.startupProbe), "a startupProbe holds liveness off while the server starts");
    assert.equal(resolvePort(c, field(c, "startupProbe", "httpGet", "port")), PROBE_PORT);
    assert.ok(
      [field(c, "readinessProbe", "httpGet", "scheme"), field(c, "livenessProbe", "httpGet", "scheme")].every(
        (s) => s === undefined || s === "HTTP",
      ),
      "the probe port is plain HTTP",
    );

    const files = mountedFiles(objects(), e);
    assert.deepEqual(files.get("/etc/hostguard/config.yaml"), {
      source: "configMap",
      name: e.configMap,
      key: "config.yaml",
    });
    for (const key of ["tls.crt", "tls.key"]) {
      assert.deepEqual(files.get(`/etc/hostguard/tls/${key}`), { source: "secret", name: e.tlsSecret, key });
    }
    for (const flag of ["--config", "--tls-cert", "--tls-key"]) {
      const path = SERVE_ARGS[SERVE_ARGS.indexOf(flag) + 1] ?? "";
      assert.ok(files.has(path), `${flag} ${path} is mounted`);
    }
  });

  test("the Service takes 443 to the pods' 8443 and is the one the webhook calls", () => {
    const service = findOne(objects(), "Service", e.name);
    assert.equal(service.metadata.namespace, e.namespace);
    assert.ok(selectsPods(field(service, "spec", "selector"), podLabels(objects(), e)), "selects the pods");
    const ports = list(field(service, "spec", "ports"), "ports");
    assert.equal(ports.length, 1);
    assert.equal(field(ports[0], "port"), 443);
    assert.equal(resolvePort(container(objects(), e), field(ports[0], "targetPort")), WEBHOOK_PORT);
    const target = obj(field(theWebhook(objects(), e), "clientConfig", "service"), "clientConfig.service");
    assert.equal(target.name, service.metadata.name);
    assert.equal(target.namespace, service.metadata.namespace);
    assert.equal(`${target.name}.${target.namespace}.svc`, serviceDNS(e));
  });

  test("the ConfigMap's guard config is valid, with the expected mode and profiles", () => {
    const text = guardConfigText(objects(), e);
    const raw = parse(text) as Json;
    // `forbidden` belongs to a newer config schema; the chart passes it through verbatim
    const { forbidden: _forbidden, ...current } = obj(raw, "config.yaml");
    const parsed = parseConfigYaml(JSON.stringify(current));
    assert.ok(parsed.ok, parsed.ok ? "" : JSON.stringify(parsed.error));
    assert.equal(field(raw, "mode"), e.mode);
    assert.deepEqual(field(raw, "profiles"), e.profiles);
    assert.ok(strings(field(raw, "breakGlass", "groups"), "groups").includes("system:masters"));
  });

  test(`every namespaced object is in namespace ${e.namespace}`, () => {
    const clusterScoped = new Set([
      "Namespace",
      "ClusterRole",
      "ClusterRoleBinding",
      "ValidatingWebhookConfiguration",
    ]);
    for (const o of objects()) {
      if (clusterScoped.has(o.kind))
        assert.equal(o.metadata.namespace, undefined, `${o.kind} ${o.metadata.name}`);
      else assert.equal(o.metadata.namespace, e.namespace, `${o.kind} ${o.metadata.name}`);
    }
  });
}

/** Where a NetworkPolicy lets the webhook and metrics ports be reached from. */
export interface NetworkPolicyExpect {
  /** the ipBlock CIDRs for the webhook port */
  readonly apiServerCidrs: readonly string[];
  /** the namespaceSelector for the metrics port */
  readonly metricsNamespaceSelector: Json;
}

/**
 * The pods' NetworkPolicy: ingress only, the webhook port from the given ipBlocks only (no pod or
 * namespace selector: any pod could match one), the metrics port from the monitoring namespace only.
 */
export function checkNetworkPolicy(objects: K8sObject[], e: Expect, np: NetworkPolicyExpect): void {
  const policy = findOne(objects, "NetworkPolicy", e.name);
  assert.equal(policy.metadata.namespace, e.namespace);
  assert.ok(selectsPods(field(policy, "spec", "podSelector"), podLabels(objects, e)), "selects the pods");
  assert.deepEqual(field(policy, "spec", "policyTypes"), ["Ingress"]);
  const rules = list(field(policy, "spec", "ingress"), "ingress");
  assert.equal(rules.length, 2, "one rule per port, nothing else admitted");
  const byPort = (port: number): Json | undefined =>
    rules.find((r) => list(field(r, "ports"), "ports").some((p) => field(p, "port") === port));
  for (const rule of rules) {
    const ports = list(field(rule, "ports"), "ports");
    assert.equal(ports.length, 1, "each rule names its one port");
    assert.equal(field(ports[0], "protocol"), "TCP");
    assert.ok(list(field(rule, "from"), "from").length > 0, "an empty from would admit everyone");
  }
  const webhook = list(field(byPort(WEBHOOK_PORT), "from"), "webhook from");
  assert.deepEqual(
    webhook.map((peer) => {
      assert.deepEqual(Object.keys(obj(peer, "peer")), ["ipBlock"], "ipBlock peers only");
      return str(field(peer, "ipBlock", "cidr"), "cidr");
    }),
    np.apiServerCidrs,
  );
  const metrics = list(field(byPort(PROBE_PORT), "from"), "metrics from");
  assert.equal(metrics.length, 1);
  assert.deepEqual(field(metrics[0], "namespaceSelector"), np.metricsNamespaceSelector);
  assert.equal(field(metrics[0], "ipBlock"), undefined);
}
