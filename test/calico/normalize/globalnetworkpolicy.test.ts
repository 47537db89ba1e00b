import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { assertError, decoded, failed, V1, V3 } from "./helpers.js";

const STASH = "projectcalico.org/metadata";

function gnp(
  apiVersion: string,
  spec: Record<string, unknown>,
  metadata: Record<string, unknown> = { name: "p" },
): unknown {
  return { apiVersion, kind: "GlobalNetworkPolicy", metadata, spec };
}

const ALLOW = { action: "Allow" };

describe("GlobalNetworkPolicy names", () => {
  const cases: [string, string, Record<string, unknown>, Record<string, unknown>, string, string, string][] =
    [
      // [case, apiVersion, metadata, spec, name, storedName, tier]
      ["plain v3", V3, { name: "allow-ssh" }, {}, "allow-ssh", "allow-ssh", "default"],
      [
        "v3 with default. prefix",
        V3,
        { name: "default.allow-ssh" },
        {},
        "allow-ssh",
        "default.allow-ssh",
        "default",
      ],
      [
        "v1 v3.29–3.31 storage",
        V1,
        { name: "default.allow-ssh" },
        {},
        "allow-ssh",
        "default.allow-ssh",
        "default",
      ],
      [
        "v1 with the v3 name in the annotation",
        V1,
        { name: "default.allow-ssh", annotations: { [STASH]: '{"name":"allow-ssh"}' } },
        {},
        "allow-ssh",
        "default.allow-ssh",
        "default",
      ],
      [
        "v1 annotation name with a default. prefix",
        V1,
        { name: "x", annotations: { [STASH]: '{"name":"default.allow-ssh"}' } },
        {},
        "allow-ssh",
        "x",
        "default",
      ],
      [
        "v1 empty annotation name is ignored",
        V1,
        { name: "p1", annotations: { [STASH]: '{"name":""}' } },
        {},
        "p1",
        "p1",
        "default",
      ],
      [
        "other tier keeps its prefix",
        V3,
        { name: "security.block" },
        { tier: "security" },
        "security.block",
        "security.block",
        "security",
      ],
      ["explicit default tier", V3, { name: "default.p" }, { tier: "default" }, "p", "default.p", "default"],
      ["empty tier is default", V3, { name: "p" }, { tier: "" }, "p", "p", "default"],
      [
        "default. in another tier is kept",
        V3,
        { name: "default.p" },
        { tier: "security" },
        "default.p",
        "default.p",
        "security",
      ],
      ["just the prefix is kept", V3, { name: "default." }, {}, "default.", "default.", "default"],
      [
        "v3 ignores a metadata annotation",
        V3,
        { name: "p", annotations: { [STASH]: '{"name":"q"}' } },
        {},
        "p",
        "p",
        "default",
      ],
    ];
  for (const [name, apiVersion, metadata, spec, expectedName, storedName, tier] of cases) {
    test(name, () => {
      const p = decoded(gnp(apiVersion, spec, metadata), "GlobalNetworkPolicy");
      assert.equal(p.name, expectedName);
      assert.equal(p.storedName, storedName);
      assert.equal(p.tier, tier);
    });
  }
});

describe("GlobalNetworkPolicy types", () => {
  const ingress = [ALLOW];
  const egress = [ALLOW];
  const cases: [string, string, Record<string, unknown>, { ingress: boolean; egress: boolean }, boolean][] = [
    // v3: defaulted as the Calico client does
    ["v3 no rules", V3, {}, { ingress: true, egress: false }, true],
    ["v3 ingress only", V3, { ingress }, { ingress: true, egress: false }, true],
    ["v3 egress only", V3, { egress }, { ingress: false, egress: true }, true],
    ["v3 both", V3, { ingress, egress }, { ingress: true, egress: true }, true],
    ["v3 empty types list", V3, { types: [], egress }, { ingress: false, egress: true }, true],
    ["v3 null types", V3, { types: null, egress }, { ingress: false, egress: true }, true],
    ["v3 empty rule lists", V3, { ingress: [], egress: [] }, { ingress: true, egress: false }, true],
    // v1 written directly: Felix reads no types as both (trap T3)
    ["v1 no rules", V1, {}, { ingress: true, egress: true }, true],
    ["v1 egress only", V1, { egress }, { ingress: true, egress: true }, true],
    ["v1 ingress only", V1, { ingress }, { ingress: true, egress: true }, true],
    ["v1 empty types list", V1, { types: [], egress }, { ingress: true, egress: true }, true],
    // written types are taken as they are, rules or not
    ["written Ingress", V3, { types: ["Ingress"], egress }, { ingress: true, egress: false }, false],
    ["written Egress", V1, { types: ["Egress"] }, { ingress: false, egress: true }, false],
    ["written both", V1, { types: ["Egress", "Ingress"] }, { ingress: true, egress: true }, false],
    ["written duplicate", V3, { types: ["Ingress", "Ingress"] }, { ingress: true, egress: false }, false],
  ];
  for (const [name, apiVersion, spec, types, defaulted] of cases) {
    test(name, () => {
      const p = decoded(gnp(apiVersion, spec), "GlobalNetworkPolicy");
      assert.deepEqual(p.types, types);
      assert.equal(p.typesDefaulted, defaulted);
    });
  }

  test("unknown or mis-cased types are errors", () => {
    const errors = failed(gnp(V3, { types: ["Ingress", "ingress", "Forward", 3] }));
    assertError(errors, "spec.types[1]", /unknown policy type "ingress"/);
    assertError(errors, "spec.types[2]", /unknown policy type "Forward"/);
    assertError(errors, "spec.types[3]", /unknown policy type 3/);
    assertError(failed(gnp(V3, { types: "Ingress" })), "spec.types", /must be a list/);
  });
});

describe("GlobalNetworkPolicy spec fields", () => {
  test("defaults", () => {
    const p = decoded(gnp(V3, {}), "GlobalNetworkPolicy");
    assert.equal(p.order, undefined);
    assert.equal(Object.hasOwn(p, "order"), false);
    assert.equal(p.selector.canonical, "all()");
    assert.equal(p.namespaceSelector, undefined);
    assert.equal(p.serviceAccountSelector, undefined);
    assert.equal(p.preDNAT, false);
    assert.equal(p.doNotTrack, false);
    assert.equal(p.applyOnForward, false);
    assert.deepEqual(p.ingress, []);
    assert.deepEqual(p.egress, []);
  });

  test("all fields", () => {
    const p = decoded(
      gnp(V3, {
        order: 10.5,
        selector: "has(kubernetes-host) && kubernetes.io/os == 'linux'",
        namespaceSelector: "team == 'a'",
        serviceAccountSelector: "role == 'x'",
        preDNAT: true,
        doNotTrack: false,
        applyOnForward: true,
        performanceHints: ["AssumeNeededOnEveryNode"],
      }),
      "GlobalNetworkPolicy",
    );
    assert.equal(p.order, 10.5);
    assert.equal(p.selector.source, "has(kubernetes-host) && kubernetes.io/os == 'linux'");
    assert.equal(p.namespaceSelector?.source, "team == 'a'");
    assert.equal(p.serviceAccountSelector?.source, "role == 'x'");
    assert.equal(p.preDNAT, true);
    assert.equal(p.applyOnForward, true);
  });

  test("order 0 is kept", () => {
    assert.equal(decoded(gnp(V3, { order: 0 }), "GlobalNetworkPolicy").order, 0);
  });

  const emptySelectors: [string, unknown][] = [
    ["empty", ""],
    ["null", null],
  ];
  for (const [name, value] of emptySelectors) {
    test(`${name} policy selector is all(); ${name} namespaceSelector is none`, () => {
      const p = decoded(
        gnp(V3, { selector: value, namespaceSelector: value, serviceAccountSelector: value }),
        "GlobalNetworkPolicy",
      );
      assert.equal(p.selector.root.kind, "all");
      assert.equal(p.namespaceSelector, undefined);
      assert.equal(p.serviceAccountSelector, undefined);
    });
  }

  test("wrong JSON types", () => {
    const errors = failed(
      gnp(V3, { order: "10", preDNAT: "true", applyOnForward: 1, tier: 5, selector: true, ingress: {} }),
    );
    assertError(errors, "spec.order", /must be a number/);
    assertError(errors, "spec.preDNAT", /must be a boolean/);
    assertError(errors, "spec.applyOnForward", /must be a boolean/);
    assertError(errors, "spec.tier", /must be a string/);
    assertError(errors, "spec.selector", /must be a string/);
    assertError(errors, "spec.ingress", /must be a list/);
    assertError(
      failed({ apiVersion: V3, kind: "GlobalNetworkPolicy", metadata: { name: "p" }, spec: [] }),
      "spec",
      /object/,
    );
  });

  test("invalid selectors carry the parser's offset", () => {
    const errors = failed(gnp(V3, { selector: "has(kubernetes-host", namespaceSelector: "a ==" }));
    assertError(errors, "spec.selector", /invalid selector "has\(kubernetes-host": .*offset 19/);
    assertError(errors, "spec.namespaceSelector", /invalid selector "a ==".*offset 4/);
  });
});

describe("rules", () => {
  function rule(r: Record<string, unknown>, direction: "ingress" | "egress" = "ingress") {
    const p = decoded(gnp(V3, { [direction]: [r] }), "GlobalNetworkPolicy");
    const decodedRule = p[direction][0];
    assert.ok(decodedRule);
    return decodedRule;
  }

  test("a bare rule", () => {
    assert.deepEqual(rule({ action: "Deny" }), {
      action: "Deny",
      source: { nets: [], notNets: [], ports: [], notPorts: [] },
      destination: { nets: [], notNets: [], ports: [], notPorts: [] },
      hasHttpMatch: false,
    });
  });

  test("actions are exact", () => {
    for (const action of ["Allow", "Deny", "Log", "Pass"]) assert.equal(rule({ action }).action, action);
    assertError(
      failed(gnp(V3, { ingress: [{ action: "allow" }] })),
      "spec.ingress[0].action",
      /case-sensitive, use "Allow"/,
    );
    assertError(
      failed(gnp(V3, { ingress: [{ action: "Accept" }] })),
      "spec.ingress[0].action",
      /unknown action/,
    );
    assertError(failed(gnp(V3, { ingress: [{}] })), "spec.ingress[0].action", /is required/);
    assertError(failed(gnp(V3, { ingress: [null] })), "spec.ingress[0]", /rule object/);
    assertError(failed(gnp(V3, { egress: ["Allow"] })), "spec.egress[0]", /must be an object/);
  });

  test("protocol, ipVersion, icmp", () => {
    const r = rule({
      action: "Allow",
      ipVersion: 6,
      protocol: "ICMPv6",
      icmp: { type: 128, code: 0 },
      notProtocol: 17,
      notICMP: { type: 1 },
    });
    assert.equal(r.ipVersion, 6);
    assert.deepEqual(r.protocol, { number: 58, name: "ICMPv6" });
    assert.deepEqual(r.notProtocol, { number: 17, name: "UDP" });
    assert.deepEqual(r.icmp, { type: 128, code: 0 });
    assert.deepEqual(r.notICMP, { type: 1 });
    assert.deepEqual(rule({ action: "Allow", protocol: "6" }).protocol, { number: 6, name: "TCP" });
    assert.deepEqual(rule({ action: "Allow", protocol: 4 }).protocol, { number: 4, name: "4" });
  });

  test("protocol, ipVersion and icmp errors", () => {
    const errors = failed(
      gnp(V3, {
        ingress: [
          { action: "Allow", protocol: "tcp" },
          { action: "Allow", ipVersion: 5, notProtocol: 0 },
          { action: "Allow", icmp: { code: 1 }, notICMP: { type: "8" } },
        ],
      }),
    );
    assertError(errors, "spec.ingress[0].protocol", /case-sensitive, use "TCP"/);
    assertError(errors, "spec.ingress[1].ipVersion", /must be 4 or 6/);
    assertError(errors, "spec.ingress[1].notProtocol", /out of range/);
    assertError(errors, "spec.ingress[2].icmp.type", /required when code is set/);
    assertError(errors, "spec.ingress[2].notICMP.type", /must be a number/);
  });

  test("entity rules", () => {
    const r = rule({
      action: "Allow",
      protocol: "TCP",
      source: {
        nets: ["10.0.0.0/8", "10.10.0.5", "fd00::/8"],
        notNets: ["10.1.0.0/16"],
        selector: "has(kubernetes-host) || role == 'internal-net'",
        notSelector: "role == 'bad'",
        namespaceSelector: "global()",
        serviceAccounts: { names: ["a", "b"], selector: "x == 'y'" },
      },
      destination: {
        ports: [22, "80", "30000:32767", "http"],
        notPorts: [6443],
        services: { name: "kubernetes", namespace: "default" },
      },
    });
    assert.deepEqual(
      r.source.nets.map((n) => n.text),
      ["10.0.0.0/8", "10.10.0.5/32", "fd00::/8"],
    );
    assert.deepEqual(
      r.source.notNets.map((n) => n.text),
      ["10.1.0.0/16"],
    );
    assert.equal(r.source.selector?.source, "has(kubernetes-host) || role == 'internal-net'");
    assert.equal(r.source.selector?.root.kind, "or");
    assert.equal(r.source.notSelector?.source, "role == 'bad'");
    assert.equal(r.source.namespaceSelector?.root.kind, "global");
    assert.deepEqual(r.source.serviceAccounts?.names, ["a", "b"]);
    assert.equal(r.source.serviceAccounts?.selector?.source, "x == 'y'");
    assert.deepEqual(r.destination.ports, [
      { kind: "range", min: 22, max: 22 },
      { kind: "range", min: 80, max: 80 },
      { kind: "range", min: 30000, max: 32767 },
      { kind: "named", name: "http" },
    ]);
    assert.deepEqual(r.destination.notPorts, [{ kind: "range", min: 6443, max: 6443 }]);
    assert.deepEqual(r.destination.services, { name: "kubernetes", namespace: "default" });
  });

  test("an empty rule selector is no selector, not all()", () => {
    const r = rule({ action: "Allow", source: { selector: "", notSelector: "", namespaceSelector: "" } });
    assert.equal(r.source.selector, undefined);
    assert.equal(r.source.notSelector, undefined);
    assert.equal(r.source.namespaceSelector, undefined);
    assert.equal(rule({ action: "Allow", source: { selector: "all()" } }).source.selector?.root.kind, "all");
    assert.equal(rule({ action: "Allow", source: { selector: " " } }).source.selector?.root.kind, "all");
  });

  test("services without a namespace, service accounts without names", () => {
    const r = rule({ action: "Allow", source: { serviceAccounts: { selector: "" } } }, "egress");
    assert.deepEqual(r.source.serviceAccounts, { names: [] });
    const s = rule({ action: "Allow", destination: { services: { name: "svc" } } }, "egress");
    assert.deepEqual(s.destination.services, { name: "svc" });
  });

  test("http marks the rule", () => {
    assert.equal(rule({ action: "Allow", http: { methods: ["GET"] } }).hasHttpMatch, true);
    assert.equal(rule({ action: "Allow", http: null }).hasHttpMatch, false);
    assertError(
      failed(gnp(V3, { ingress: [{ action: "Allow", http: "GET" }] })),
      "spec.ingress[0].http",
      /object/,
    );
  });

  test("bad ports, nets and selectors are located precisely", () => {
    const errors = failed(
      gnp(V3, {
        ingress: [
          { action: "Allow", protocol: "TCP", destination: { ports: [22] } },
          {
            action: "Allow",
            protocol: "TCP",
            destination: { ports: ["30000-32767", 0, "200:100", 65536, 8.5, null] },
            source: { nets: ["10.0.0.0/33", "10.0.0.256", 10], notNets: ["x"], selector: "a ==" },
          },
        ],
        egress: [
          {
            action: "Allow",
            destination: { notPorts: ["HTTP"], selector: "!" },
            source: { notSelector: "(" },
          },
        ],
      }),
    );
    assertError(errors, "spec.ingress[1].destination.ports[0]", /"30000:32767"/);
    assertError(errors, "spec.ingress[1].destination.ports[1]", /out of range/);
    assertError(errors, "spec.ingress[1].destination.ports[2]", /greater than the maximum/);
    assertError(errors, "spec.ingress[1].destination.ports[3]", /out of range/);
    assertError(errors, "spec.ingress[1].destination.ports[4]", /not an integer/);
    assertError(errors, "spec.ingress[1].destination.ports[5]", /not null/);
    assertError(errors, "spec.ingress[1].source.nets[0]", /prefix length 33/);
    assertError(errors, "spec.ingress[1].source.nets[1]", /not an IPv4 address/);
    assertError(errors, "spec.ingress[1].source.nets[2]", /CIDR or IP string/);
    assertError(errors, "spec.ingress[1].source.notNets[0]", /not an IP address/);
    assertError(errors, "spec.ingress[1].source.selector", /invalid selector "a =="/);
    assertError(errors, "spec.egress[0].destination.notPorts[0]", /lower-case/);
    assertError(errors, "spec.egress[0].destination.selector", /invalid selector "!"/);
    assertError(errors, "spec.egress[0].source.notSelector", /invalid selector "\("/);
    assert.equal(errors.filter((e) => e.path.startsWith("spec.ingress[0]")).length, 0);
  });
});

describe("GlobalNetworkPolicy as stored in crd.projectcalico.org/v1", () => {
  test("the fixture form: ports keep their JSON types", () => {
    const p = decoded(
      gnp(
        V1,
        {
          applyOnForward: true,
          ingress: [
            {
              action: "Allow",
              destination: { ports: [22, 80, "30000:32767"] },
              protocol: "TCP",
              source: { selector: "has(kubernetes-host) || role == 'internal-net'" },
            },
          ],
          order: 10,
          preDNAT: true,
          selector: "has(kubernetes-host)",
          types: ["Ingress"],
        },
        { name: "allow-inbound-cluster-internal", resourceVersion: "261", uid: "a14a20bd" },
      ),
      "GlobalNetworkPolicy",
    );
    assert.equal(p.apiVersion, V1);
    assert.equal(p.resourceVersion, "261");
    assert.deepEqual(p.types, { ingress: true, egress: false });
    assert.equal(p.ingress[0]?.destination.ports.length, 3);
  });
});
