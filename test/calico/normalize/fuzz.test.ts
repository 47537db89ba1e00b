/**
 * normalize must answer every input with a Result: random JSON, and random mutations of valid objects.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { normalize } from "../../../src/calico/normalize/index.js";
import { RESOURCE_KINDS } from "../../../src/calico/types.js";
import { V1, V3 } from "./helpers.js";

const RUNS = 400;

/** Checks the shape of any answer and that no decoder threw (the index's safety net was not needed). */
function checkAnswer(input: unknown): void {
  const r = normalize(input);
  if (r.ok) {
    assert.ok(RESOURCE_KINDS.includes(r.value.kind));
    assert.equal(typeof r.value.name, "string");
    assert.ok(r.value.name.length > 0);
  } else {
    assert.ok(r.error.length > 0, "a failure has at least one error");
    for (const e of r.error) {
      assert.equal(typeof e.path, "string");
      assert.equal(typeof e.reason, "string");
      assert.ok(!e.reason.includes("\n"), `one line: ${e.reason}`);
      assert.ok(!e.reason.startsWith("internal error"), `a decoder threw: ${e.reason}`);
    }
  }
}

const SEEDS: readonly unknown[] = [
  {
    apiVersion: V3,
    kind: "GlobalNetworkPolicy",
    metadata: { name: "allow-inbound-cluster-internal", labels: { a: "b" } },
    spec: {
      selector: "has(kubernetes-host)",
      order: 10,
      preDNAT: true,
      applyOnForward: true,
      types: ["Ingress"],
      ingress: [
        {
          action: "Allow",
          protocol: "TCP",
          source: { selector: "has(kubernetes-host) || role == 'internal-net'", nets: ["10.0.0.0/8"] },
          destination: { ports: [22, "30000:32767", "http"], notNets: ["fd00::/8"] },
        },
        { action: "Allow", protocol: "ICMP", icmp: { type: 8, code: 0 }, ipVersion: 4 },
      ],
      egress: [{ action: "Deny", destination: { services: { name: "kubernetes", namespace: "default" } } }],
    },
  },
  {
    apiVersion: V1,
    kind: "HostEndpoint",
    metadata: {
      name: "w-1-auto-hep",
      labels: { "projectcalico.org/created-by": "calico-kube-controllers" },
      annotations: {
        "projectcalico.org/metadata": '{"creationTimestamp":null,"labels":{"kubernetes-host":""}}',
      },
    },
    spec: {
      node: "w-1",
      interfaceName: "*",
      expectedIPs: ["10.0.0.11", "fd00::11"],
      profiles: ["projectcalico-default-allow"],
      ports: [{ name: "iscsi", port: 3260, protocol: "TCP" }],
    },
  },
  {
    apiVersion: V3,
    kind: "FelixConfiguration",
    metadata: {
      name: "node.node-1",
      annotations: { "config.projectcalico.org/FailsafeOutboundHostPorts": "udp:53,tcp:[fd00::/8]:6443" },
    },
    spec: {
      failsafeInboundHostPorts: [{ protocol: "tcp", port: 22, net: "10.0.0.0/8" }],
      defaultEndpointToHostAction: "Accept",
      nodeSelector: "all()",
    },
  },
  {
    apiVersion: V3,
    kind: "GlobalNetworkSet",
    metadata: { name: "allow-ips" },
    spec: { nets: ["192.168.100.0/24", "10.10.0.5"] },
  },
  {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: "cp-1", labels: { "kubernetes-host": "" } },
    status: {
      addresses: [
        { type: "InternalIP", address: "10.0.0.10" },
        { type: "ExternalIP", address: "::1" },
      ],
    },
  },
  {
    apiVersion: V1,
    kind: "KubeControllersConfiguration",
    metadata: { name: "default" },
    spec: { controllers: { node: { hostEndpoint: { autoCreate: "Enabled" } } } },
  },
  {
    apiVersion: V3,
    kind: "Tier",
    metadata: { name: "security" },
    spec: { order: 100, defaultAction: "Pass" },
  },
];

test("the seeds are valid", () => {
  for (const seed of SEEDS) assert.ok(normalize(seed).ok, JSON.stringify(seed));
});

test("random JSON values never throw", () => {
  fc.assert(
    fc.property(fc.jsonValue(), (value) => checkAnswer(value)),
    { numRuns: RUNS },
  );
});

test("random objects with a known apiVersion and kind never throw", () => {
  const kind = fc.constantFrom(...RESOURCE_KINDS, "Pod");
  const apiVersion = fc.constantFrom("v1", V3, V1, "x/v1");
  fc.assert(
    fc.property(apiVersion, kind, fc.jsonValue(), fc.jsonValue(), (a, k, metadata, spec) =>
      checkAnswer({ apiVersion: a, kind: k, metadata, spec, status: spec }),
    ),
    { numRuns: RUNS },
  );
});

type Container = Record<string, unknown> | unknown[];

/** Every (container, key) slot in a JSON tree, so that a mutation can pick one. */
function slots(value: unknown, out: [Container, string | number][] = []): [Container, string | number][] {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push([value, i]);
      slots(v, out);
    });
  } else if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      out.push([record, key]);
      slots(record[key], out);
    }
  }
  return out;
}

const interesting = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.string(),
  fc.constantFrom(
    "",
    "0",
    "none",
    "::",
    "10.0.0.0/8",
    "10.0.0.256",
    "has(",
    "80:90",
    "90:80",
    "80-90",
    "TCP",
    "tcp",
    "sctp:22",
    "tcp:[fd00::/8]:22",
    "{",
    '{"labels":{"a":1}}',
    "constructor",
    "__proto__",
  ),
  fc.integer(),
  fc.double(),
);

const mutation = fc.record({
  at: fc.nat(),
  op: fc.constantFrom("replace", "delete", "wrap", "rename"),
  value: interesting,
});

test("random mutations of valid objects never throw", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...SEEDS),
      fc.array(mutation, { minLength: 1, maxLength: 5 }),
      (seed, mutations) => {
        const object: unknown = structuredClone(seed);
        for (const m of mutations) {
          const all = slots(object);
          const slot = all[m.at % Math.max(all.length, 1)];
          if (slot === undefined) continue;
          const [container, key] = slot;
          const target = container as Record<string | number, unknown>;
          if (m.op === "replace") target[key] = m.value;
          else if (m.op === "wrap") target[key] = [target[key]];
          else if (m.op === "rename" && !Array.isArray(container) && typeof m.value === "string") {
            target[m.value] = target[key];
            delete target[key];
          } else if (Array.isArray(container)) container.splice(Number(key), 1);
          else delete target[key];
        }
        checkAnswer(object);
      },
    ),
    { numRuns: RUNS * 2 },
  );
});

test("exotic inputs still get an answer", () => {
  const throwing = new Proxy(
    {},
    {
      get() {
        throw new Error("boom");
      },
      has() {
        throw new Error("boom");
      },
      ownKeys() {
        throw new Error("boom");
      },
      getOwnPropertyDescriptor() {
        throw new Error("boom");
      },
    },
  );
  for (const input of [undefined, 0, NaN, Symbol("s"), () => 1, new Date(0), new Map(), throwing, 10n]) {
    const r = normalize(input);
    assert.equal(r.ok, false);
  }
  const deep: Record<string, unknown> = {};
  let cursor = deep;
  for (let i = 0; i < 10000; i++) {
    const next: Record<string, unknown> = {};
    cursor.spec = next;
    cursor = next;
  }
  checkAnswer({ apiVersion: V3, kind: "GlobalNetworkPolicy", metadata: { name: "deep" }, spec: deep });
});
