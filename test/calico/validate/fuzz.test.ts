// Property tests: validateRules is total. Random JSON, random Calico-shaped objects and mutations of
// valid objects never make it throw, and what it returns is always a list of one-line FieldErrors.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import type { FieldError } from "../../../src/calico/result.js";
import { validateRules } from "../../../src/calico/validate/index.js";
import { clone, felix, gnp, gns, hep, type Json, type JsonObj, kcc, tier } from "./harness.js";

const RUNS = 400;

function checkShape(errors: FieldError[]): void {
  assert.ok(Array.isArray(errors));
  for (const e of errors) {
    assert.equal(typeof e.path, "string");
    assert.equal(typeof e.reason, "string");
    assert.ok(e.reason.length > 0 && !e.reason.includes("\n"), `bad reason ${JSON.stringify(e.reason)}`);
    assert.ok(!e.reason.startsWith("internal error"), `validator crashed: ${e.reason}`);
  }
}

const API_VERSIONS = ["projectcalico.org/v3", "crd.projectcalico.org/v1", "v1", "projectcalico.org/v2", ""];
const KINDS = [
  "GlobalNetworkPolicy",
  "HostEndpoint",
  "GlobalNetworkSet",
  "FelixConfiguration",
  "KubeControllersConfiguration",
  "Tier",
  "Node",
];

/** Keys Calico objects use, plus ones that would trip naive property access. */
const KEYS = [
  "metadata",
  "name",
  "labels",
  "annotations",
  "spec",
  "selector",
  "namespaceSelector",
  "serviceAccountSelector",
  "ingress",
  "egress",
  "types",
  "preDNAT",
  "doNotTrack",
  "applyOnForward",
  "tier",
  "order",
  "performanceHints",
  "action",
  "protocol",
  "notProtocol",
  "icmp",
  "notICMP",
  "type",
  "code",
  "ipVersion",
  "source",
  "destination",
  "nets",
  "notNets",
  "ports",
  "notPorts",
  "notSelector",
  "services",
  "serviceAccounts",
  "namespace",
  "http",
  "node",
  "interfaceName",
  "expectedIPs",
  "profiles",
  "port",
  "net",
  "failsafeInboundHostPorts",
  "failsafeOutboundHostPorts",
  "defaultEndpointToHostAction",
  "kubeNodePortRanges",
  "controllers",
  "hostEndpoint",
  "autoCreate",
  "templates",
  "generateName",
  "interfaceCIDRs",
  "defaultAction",
  "projectcalico.org/metadata",
  "config.projectcalico.org/FailsafeInboundHostPorts",
  "config.projectcalico.org/DefaultEndpointToHostAction",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "valueOf",
];

/** Leaves that look like what Calico fields hold, and some that do not. */
const leaf: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(
    "Allow",
    "Deny",
    "Pass",
    "TCP",
    "UDP",
    "ICMP",
    "ICMPv6",
    "SCTP",
    "tcp",
    6,
    1,
    58,
    4,
    0,
    -1,
    65536,
    1.5,
    "10.0.0.0/8",
    "10.0.0.1",
    "fd00::/8",
    "::/0",
    "0.0.0.0/0",
    "global()",
    "all()",
    "has(a",
    "30000:32767",
    "http",
    "*",
    "eth0",
    "Ingress",
    "Egress",
    "tcp:22,udp:68",
    "tcp:[fd00::/8]:22",
    "[",
    "]:",
    "none",
    "",
    '{"labels":{"a":"b"},"name":"x.y"}',
    "{",
    null,
    true,
    false,
  ),
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double(),
);

const calicoValue: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie("value"), { maxKeys: 6 }),
  ),
})).value;

const calicoObject: fc.Arbitrary<Json> = fc.record({
  apiVersion: fc.constantFrom(...API_VERSIONS),
  kind: fc.constantFrom(...KINDS),
  metadata: calicoValue,
  spec: calicoValue,
});

/** Valid objects of every kind, to mutate. */
const BASES: JsonObj[] = [
  gnp(
    {
      selector: "has(kubernetes-host)",
      types: ["Ingress", "Egress"],
      ingress: [
        {
          action: "Allow",
          protocol: "TCP",
          source: { selector: "role == 'x'", nets: ["10.0.0.0/8"] },
          destination: { ports: [22, "30000:32767"] },
        },
        { action: "Allow", protocol: "ICMP", icmp: { type: 8 }, source: { namespaceSelector: "global()" } },
      ],
      egress: [
        { action: "Allow", destination: { notNets: ["169.254.169.254/32"] } },
        { action: "Allow", destination: { services: { name: "s", namespace: "n" } } },
      ],
    },
    "allow",
    { labels: { a: "b" } },
  ),
  hep({
    node: "n1",
    interfaceName: "eth0",
    expectedIPs: ["10.0.0.1"],
    profiles: ["p"],
    ports: [{ name: "http", protocol: "TCP", port: 80 }],
  }),
  gns(["10.0.0.0/8", "fd00::1"], { role: "internal-net" }),
  felix(
    {
      defaultEndpointToHostAction: "Accept",
      failsafeInboundHostPorts: [{ protocol: "TCP", port: 22, net: "10.0.0.0/8" }],
      kubeNodePortRanges: ["30000:32767"],
    },
    "default",
    { annotations: { "config.projectcalico.org/FailsafeOutboundHostPorts": "udp:53,tcp:[fd00::/8]:6443" } },
  ),
  kcc({
    controllers: {
      node: {
        hostEndpoint: {
          autoCreate: "Enabled",
          templates: [{ generateName: "t", interfaceCIDRs: ["10.0.0.0/8"] }],
        },
      },
    },
  }),
  tier("default", { order: 1_000_000, defaultAction: "Deny" }),
];

/** Every container (object or array) in `root`, with a way to overwrite one of its slots. */
function slots(root: Json): { container: Json[] | JsonObj; key: string | number }[] {
  const out: { container: Json[] | JsonObj; key: string | number }[] = [];
  const walk = (v: Json): void => {
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        out.push({ container: v, key: i });
        walk(x);
      });
    } else if (v !== null && typeof v === "object") {
      for (const k of Object.keys(v)) {
        out.push({ container: v, key: k });
        walk(v[k] as Json);
      }
    }
  };
  walk(root);
  return out;
}

function mutate(base: JsonObj, edits: [number, Json | undefined][]): JsonObj {
  const object = clone(base);
  for (const [at, value] of edits) {
    const all = slots(object);
    if (all.length === 0) break;
    const slot = all[at % all.length];
    if (slot === undefined) continue;
    if (Array.isArray(slot.container)) {
      if (value === undefined) slot.container.splice(Number(slot.key), 1);
      else slot.container[Number(slot.key)] = value;
    } else if (value === undefined) {
      delete slot.container[String(slot.key)];
    } else {
      slot.container[String(slot.key)] = value;
    }
  }
  return object;
}

describe("validateRules never throws", () => {
  test("on arbitrary JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        checkShape(validateRules(value));
      }),
      { numRuns: RUNS },
    );
  });

  test("on anything at all (non-JSON values too)", () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withMap: true, withSet: true }), (value) => {
        checkShape(validateRules(value));
        checkShape(
          validateRules({
            apiVersion: "projectcalico.org/v3",
            kind: "GlobalNetworkPolicy",
            metadata: value,
            spec: value,
          }),
        );
      }),
      { numRuns: RUNS },
    );
  });

  test("on Calico-shaped objects with random contents", () => {
    fc.assert(
      fc.property(calicoObject, (value) => {
        checkShape(validateRules(value));
      }),
      { numRuns: RUNS },
    );
  });

  test("on mutated valid objects", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...BASES),
        fc.constantFrom("projectcalico.org/v3", "crd.projectcalico.org/v1"),
        fc.array(fc.tuple(fc.nat(), fc.option(calicoValue, { nil: undefined })), {
          minLength: 1,
          maxLength: 5,
        }),
        (base, apiVersion, edits) => {
          const object = mutate({ ...base, apiVersion }, edits);
          checkShape(validateRules(object));
        },
      ),
      { numRuns: RUNS },
    );
  });

  test("the mutation bases are valid", () => {
    for (const base of BASES) assert.deepEqual(validateRules(base), [], JSON.stringify(base));
  });

  test("prototype-named keys are ordinary keys", () => {
    const object = JSON.parse(
      '{"apiVersion":"projectcalico.org/v3","kind":"GlobalNetworkSet","metadata":{"name":"x","labels":{"__proto__":"a","constructor":"b"}},"spec":{"__proto__":{"nets":1}}}',
    ) as unknown;
    checkShape(validateRules(object));
    // `__proto__` is an invalid label key (it starts with '_'), `constructor` a valid one; neither reaches Object.prototype.
    assert.deepEqual(
      validateRules(object).map((e) => e.path),
      ["metadata.labels.__proto__"],
    );
  });
});
