// Valid config documents (design §6): defaults, every port syntax and source kind, failsafe forms,
// modes and profile expansion.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_FAILSAFE_INBOUND, DEFAULT_FAILSAFE_OUTBOUND } from "../../src/engine/felix-config.js";
import {
  defaultConfig,
  parseConfig,
  parseConfigYaml,
  profileRequirements,
  type GuardConfig,
  type RequiredPort,
} from "../../src/config/index.js";
import { bare, expectOk, icmp, portsOf, requirement, sourceText, summary, tcp, udp } from "./helpers.js";

describe("defaults", () => {
  test("defaultConfig", () => {
    const config = defaultConfig();
    assert.equal(config.mode, "enforce");
    assert.deepEqual(config.profiles, ["rancher"]);
    assert.deepEqual(config.requirements, profileRequirements("rancher"));
    assert.deepEqual(config.failsafe, {
      inbound: DEFAULT_FAILSAFE_INBOUND,
      outbound: DEFAULT_FAILSAFE_OUTBOUND,
    });
    assert.equal(config.coverage.nodes.canonical, "all()");
    assert.deepEqual(config.breakGlass, { annotation: "hostguard.dev/break-glass", users: [], groups: [] });
    assert.equal(config.maxWarnings, 10);
  });

  const empty: [title: string, run: () => ReturnType<typeof parseConfig>][] = [
    ["empty text", () => parseConfigYaml("")],
    ["comments only", () => parseConfigYaml("# nothing here\n")],
    ["a bare document marker", () => parseConfigYaml("---\n")],
    ["an empty mapping", () => parseConfigYaml("{}")],
    ["the value {}", () => parseConfig({})],
    ["the value null", () => parseConfig(null)],
    ["the value undefined", () => parseConfig(undefined)],
  ];
  for (const [title, run] of empty) {
    test(`${title} is the default config`, () => assert.deepEqual(expectOk(run()), defaultConfig()));
  }

  test("sub-objects take their defaults key by key", () => {
    const config = expectOk(parseConfig({ failsafe: {}, coverage: {}, breakGlass: { users: ["alice"] } }));
    assert.deepEqual(config.failsafe, defaultConfig().failsafe);
    assert.equal(config.coverage.nodes.canonical, "all()");
    assert.deepEqual(config.breakGlass, {
      annotation: "hostguard.dev/break-glass",
      users: ["alice"],
      groups: [],
    });
  });
});

describe("mode", () => {
  for (const mode of ["enforce", "warn", "audit"] as const) {
    test(mode, () => assert.equal(expectOk(parseConfig({ mode })).mode, mode));
  }
});

describe("profiles expand into requirements, in the order listed, before the custom ones", () => {
  const cases: [profiles: unknown, names: string[]][] = [
    [undefined, ["rancher"]],
    [[], []],
    [["rancher"], ["rancher"]],
    [["calico"], ["calico"]],
    [
      ["kubeadm", "calico"],
      [
        "kubeadm/api-server",
        "kubeadm/control-plane",
        "kubeadm/control-plane-loopback",
        "kubeadm/nodes",
        "kubeadm/nodes-loopback",
        "kubeadm/nodeports",
        "calico",
      ],
    ],
    [
      ["calico", "rancher"],
      ["calico", "rancher"],
    ],
  ];
  for (const [profiles, names] of cases) {
    test(JSON.stringify(profiles) ?? "absent", () => {
      const config = expectOk(parseConfig(profiles === undefined ? {} : { profiles }));
      assert.deepEqual(config.profiles, profiles ?? ["rancher"]);
      assert.deepEqual(
        config.requirements.map((r) => r.name),
        names,
      );
    });
  }

  test("profile requirements equal profileRequirements(), custom ones follow", () => {
    const config = expectOk(parseConfig({ profiles: ["kubeadm", "calico"], requirements: [requirement()] }));
    assert.deepEqual(config.requirements.slice(0, -1), [
      ...profileRequirements("kubeadm"),
      ...profileRequirements("calico"),
    ]);
    assert.equal(config.requirements.at(-1)?.name, "custom");
  });
});

describe("port syntax in a requirement", () => {
  const cases: [entry: unknown, expected: RequiredPort][] = [
    ["tcp:80", tcp(80)],
    ["TCP:6443", tcp(6443)],
    ["udp:8472", udp(8472)],
    ["sctp:3868", portsOf(132, 3868, 3868)],
    ["tcp:30000-32767", tcp(30000, 32767)],
    ["tcp:30000:32767", tcp(30000, 32767)],
    ["icmp:8", icmp(8)],
    ["icmp:8/0", icmp(8, 0)],
    ["icmpv6:128", icmp(128, undefined, true)],
    ["ipip", bare(4, "IPIP")],
    ["proto:47", bare(47, "proto 47")],
    [{ port: "tcp:443" }, tcp(443)],
    [{ port: "tcp:443", path: "host" }, tcp(443)],
    [{ port: "tcp:30000-32767", path: "forward" }, tcp(30000, 32767, "forward")],
    [{ port: "udp:30000:32767", path: "forward" }, udp(30000, 32767, "forward")],
    [{ port: "sctp:9", path: "forward" }, portsOf(132, 9, 9, "forward")],
    [{ port: "icmp:8", path: "host" }, icmp(8)],
  ];
  for (const [entry, expected] of cases) {
    test(JSON.stringify(entry), () => {
      const config = expectOk(parseConfig({ profiles: [], requirements: [requirement({ ports: [entry] })] }));
      assert.deepEqual(config.requirements[0]?.ports, [expected]);
    });
  }
});

describe("source kinds", () => {
  const cases: [entry: unknown, expected: string][] = [
    [{ nodes: "all()" }, "nodes all()"],
    [{ nodes: "has(node-role.kubernetes.io/etcd)" }, "nodes has(node-role.kubernetes.io/etcd)"],
    [{ nodes: "" }, "nodes all()"],
    [{ globalNetworkSets: "role == 'internal-net'" }, 'gns role == "internal-net"'],
    [{ nets: ["10.0.0.0/8"] }, "nets 10.0.0.0/8"],
    [{ nets: ["10.1.2.3/8", "192.0.2.7", "fd00::/8"] }, "nets 10.0.0.0/8,192.0.2.7/32,fd00::/8"],
    ["anywhere", "anywhere"],
    [{ anywhere: true }, "anywhere"],
    ["loopback", "loopback"],
    [{ loopback: true }, "loopback"],
  ];
  for (const [entry, expected] of cases) {
    test(JSON.stringify(entry), () => {
      const config = expectOk(parseConfig({ profiles: [], requirements: [requirement({ from: [entry] })] }));
      assert.deepEqual(config.requirements[0]?.from.map(sourceText), [expected]);
    });
  }

  test("nets keep the parsed CIDR", () => {
    const config = expectOk(
      parseConfig({ profiles: [], requirements: [requirement({ from: [{ nets: ["10.0.0.0/8"] }] })] }),
    );
    assert.deepEqual(config.requirements[0]?.from, [
      { kind: "nets", nets: [{ family: 4, base: 10n << 24n, prefix: 8, text: "10.0.0.0/8" }] },
    ]);
  });
});

describe("requirement fields", () => {
  test("to defaults to all()", () => {
    for (const to of [undefined, {}]) {
      const config = expectOk(
        parseConfig({ profiles: [], requirements: [requirement(to === undefined ? {} : { to })] }),
      );
      assert.equal(config.requirements[0]?.to.nodes.canonical, "all()");
    }
  });

  test("names may be DNS labels joined by / or .", () => {
    for (const name of ["a", "ingress-controller", "team-a/ingress", "db.primary", "x".repeat(63)]) {
      const config = expectOk(parseConfig({ profiles: [], requirements: [requirement({ name })] }));
      assert.equal(config.requirements[0]?.name, name);
    }
  });

  test("a custom requirement may reuse the name of a profile that is not enabled", () => {
    const config = expectOk(parseConfig({ profiles: [], requirements: [requirement({ name: "rancher" })] }));
    assert.deepEqual(
      config.requirements.map((r) => r.name),
      ["rancher"],
    );
  });
});

describe("failsafe", () => {
  const cases: [
    failsafe: unknown,
    inbound: GuardConfig["failsafe"]["inbound"],
    outbound: GuardConfig["failsafe"]["outbound"],
  ][] = [
    [undefined, DEFAULT_FAILSAFE_INBOUND, DEFAULT_FAILSAFE_OUTBOUND],
    [{ inbound: "default", outbound: "default" }, DEFAULT_FAILSAFE_INBOUND, DEFAULT_FAILSAFE_OUTBOUND],
    [{ inbound: "none", outbound: "none" }, [], []],
    [{ inbound: [], outbound: "default" }, [], DEFAULT_FAILSAFE_OUTBOUND],
    [{ inbound: ["tcp:22"] }, [{ protocol: "TCP", port: 22 }], DEFAULT_FAILSAFE_OUTBOUND],
    [
      { inbound: ["tcp:22", "UDP:68", "22", "tcp:10.0.0.0/8:22", "tcp:[fd00::/8]:6443"], outbound: "none" },
      [
        { protocol: "TCP", port: 22 },
        { protocol: "UDP", port: 68 },
        { protocol: "TCP", port: 22 },
        { protocol: "TCP", port: 22, net: { family: 4, base: 10n << 24n, prefix: 8, text: "10.0.0.0/8" } },
        { protocol: "TCP", port: 6443, net: { family: 6, base: 0xfdn << 120n, prefix: 8, text: "fd00::/8" } },
      ],
      [],
    ],
    [
      {
        outbound: [
          { protocol: "UDP", port: 53 },
          { protocol: "tcp", port: "179" },
          { protocol: "TCP", port: 2379, net: "10.0.0.1/16" },
        ],
      },
      DEFAULT_FAILSAFE_INBOUND,
      [
        { protocol: "UDP", port: 53 },
        { protocol: "TCP", port: 179 },
        {
          protocol: "TCP",
          port: 2379,
          net: { family: 4, base: 10n << 24n, prefix: 16, text: "10.0.0.0/16" },
        },
      ],
    ],
  ];
  for (const [failsafe, inbound, outbound] of cases) {
    test(JSON.stringify(failsafe) ?? "absent", () => {
      const config = expectOk(parseConfig(failsafe === undefined ? {} : { failsafe }));
      assert.deepEqual(config.failsafe, { inbound, outbound });
    });
  }

  test("default is Felix's list, imported rather than copied", () => {
    const config = expectOk(parseConfig({ failsafe: { inbound: "default" } }));
    assert.equal(config.failsafe.inbound, DEFAULT_FAILSAFE_INBOUND);
    assert.deepEqual(
      config.failsafe.inbound.map((e) => `${e.protocol.toLowerCase()}:${e.port}`),
      ["tcp:22", "udp:68", "tcp:179", "tcp:2379", "tcp:2380", "tcp:5473", "tcp:6443", "tcp:6666", "tcp:6667"],
    );
    assert.deepEqual(
      config.failsafe.outbound.map((e) => `${e.protocol.toLowerCase()}:${e.port}`),
      ["udp:53", "udp:67", "tcp:179", "tcp:2379", "tcp:2380", "tcp:5473", "tcp:6443", "tcp:6666", "tcp:6667"],
    );
  });
});

describe("coverage, breakGlass, maxWarnings", () => {
  test("coverage selector", () => {
    const config = expectOk(parseConfig({ coverage: { nodes: "has(kubernetes-host)" } }));
    assert.equal(config.coverage.nodes.canonical, "has(kubernetes-host)");
  });

  test("breakGlass", () => {
    const config = expectOk(
      parseConfig({
        breakGlass: {
          annotation: "example.com/override",
          users: ["alice"],
          groups: ["system:masters", "sre"],
        },
      }),
    );
    assert.deepEqual(config.breakGlass, {
      annotation: "example.com/override",
      users: ["alice"],
      groups: ["system:masters", "sre"],
    });
  });

  test("breakGlass annotation without a prefix", () => {
    assert.equal(
      expectOk(parseConfig({ breakGlass: { annotation: "break-glass" } })).breakGlass.annotation,
      "break-glass",
    );
  });

  for (const n of [1, 10, 100]) {
    test(`maxWarnings ${n}`, () => assert.equal(expectOk(parseConfig({ maxWarnings: n })).maxWarnings, n));
  }
});

describe("YAML documents", () => {
  test("the design §6 example", () => {
    const config = expectOk(
      parseConfigYaml(`
mode: enforce                      # enforce | warn | audit
profiles: [rancher]                # built-in requirement sets
requirements:                      # extra, same shape as a profile entry
  - name: ingress-controller
    to: { nodes: "has(ingress)" }              # Calico selector over Node labels
    from: [ { nets: ["10.0.0.0/8"] }, { nodes: "all()" }, { globalNetworkSets: "role == 'internal-net'" } ]
    ports: [ "tcp:80", "tcp:443", { port: "tcp:30000-32767", path: forward } ]
failsafe: { inbound: default, outbound: default }   # or explicit lists that must be kept
coverage: { nodes: "all()" }       # which Nodes must have a HostEndpoint
breakGlass: { annotation: hostguard.dev/break-glass, groups: ["system:masters"] }
`),
    );
    assert.equal(config.mode, "enforce");
    assert.deepEqual(config.profiles, ["rancher"]);
    assert.deepEqual(config.requirements.slice(0, 1), profileRequirements("rancher"));
    assert.deepEqual(config.requirements.slice(1).map(summary), [
      {
        name: "ingress-controller",
        to: "has(ingress)",
        from: ["nets 10.0.0.0/8", "nodes all()", 'gns role == "internal-net"'],
        ports: [tcp(80), tcp(443), tcp(30000, 32767, "forward")],
      },
    ]);
    assert.deepEqual(config.failsafe, defaultConfig().failsafe);
    assert.deepEqual(config.breakGlass, {
      annotation: "hostguard.dev/break-glass",
      users: [],
      groups: ["system:masters"],
    });
    assert.equal(config.maxWarnings, 10);
  });

  test("the scenario suites' inline configs", () => {
    assert.deepEqual(expectOk(parseConfigYaml("{ profiles: [kubeadm] }")).profiles, ["kubeadm"]);
    assert.deepEqual(expectOk(parseConfigYaml("{ profiles: [rancher] }")), defaultConfig());
  });

  test("YAML and the equivalent JSON value give the same config", () => {
    const yaml = `
mode: warn
profiles: []
requirements:
  - name: bgp
    from: [{ nodes: "all()" }]
    ports: [tcp:179]
failsafe: { inbound: none, outbound: [udp:53] }
maxWarnings: 5
`;
    const json = {
      mode: "warn",
      profiles: [],
      requirements: [{ name: "bgp", from: [{ nodes: "all()" }], ports: ["tcp:179"] }],
      failsafe: { inbound: "none", outbound: ["udp:53"] },
      maxWarnings: 5,
    };
    assert.deepEqual(expectOk(parseConfigYaml(yaml)), expectOk(parseConfig(json)));
  });
});
