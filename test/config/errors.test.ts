// Invalid config documents: each must be refused with errors at the right paths, and with reasons that
// say what is accepted. Every case lists all the errors it expects (exact count).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { FieldError } from "../../src/calico/result.js";
import { parseConfig, parseConfigYaml } from "../../src/config/index.js";
import { expectErrors, requirement } from "./helpers.js";

type Expected = readonly [path: string, reason: RegExp];

/** A document with one custom requirement and no profiles, so only that requirement can fail. */
function withRequirement(overrides: Record<string, unknown>): Record<string, unknown> {
  return { profiles: [], requirements: [requirement(overrides)] };
}

function check(errors: readonly FieldError[], expected: readonly Expected[]): void {
  const shown = errors.map((e) => `${e.path}: ${e.reason}`).join("\n");
  for (const [path, reason] of expected) {
    assert.ok(
      errors.some((e) => e.path === path && reason.test(e.reason)),
      `no error at ${JSON.stringify(path)} matching ${String(reason)}; got:\n${shown}`,
    );
  }
  assert.equal(errors.length, expected.length, `expected ${expected.length} errors, got:\n${shown}`);
  for (const e of errors) assert.ok(!e.reason.includes("\n"), `one-line reason: ${e.reason}`);
}

const R = "requirements[0]";

describe("invalid documents (values)", () => {
  const cases: [title: string, value: unknown, expected: Expected[]][] = [
    // root
    ["root is a string", "mode: enforce", [["", /must be a mapping of mode, profiles/]]],
    ["root is a number", 42, [["", /found a number/]]],
    ["root is a list", [{ mode: "enforce" }], [["", /found an array/]]],
    ["root is a boolean", true, [["", /found a boolean/]]],
    ["root is a Date", new Date(0), [["", /must be a mapping/]]],
    ["root is a Map", new Map([["mode", "warn"]]), [["", /must be a mapping/]]],

    // mode
    ["bad mode", { mode: "block" }, [["mode", /"block" is not accepted: use one of enforce, warn, audit/]]],
    ["mode in the wrong case", { mode: "Enforce" }, [["mode", /did you mean "enforce"/]]],
    ["mode null", { mode: null }, [["mode", /null is not accepted: use one of enforce/]]],
    ["mode a number", { mode: 1 }, [["mode", /a number is not accepted/]]],

    // profiles
    [
      "unknown profile",
      { profiles: ["rke2"] },
      [["profiles[0]", /"rke2" is not accepted: use one of rancher, kubeadm, calico/]],
    ],
    ["misspelt profile", { profiles: ["kubeadmn"] }, [["profiles[0]", /did you mean "kubeadm"/]]],
    [
      "duplicate profile",
      { profiles: ["rancher", "calico", "rancher"] },
      [["profiles[2]", /duplicate profile "rancher"/]],
    ],
    ["profiles not a list", { profiles: "rancher" }, [["profiles", /expected a list of profile names/]]],
    [
      "profiles null",
      { profiles: null },
      [["profiles", /has no value; write a list of rancher, kubeadm, calico, or \[\] for none/]],
    ],

    // unknown keys at several depths
    [
      "unknown root key",
      { mdoe: "warn" },
      [["mdoe", /unknown key "mdoe": did you mean "mode"\? accepted keys here: mode, profiles/]],
    ],
    [
      "unknown root key, no suggestion",
      { webhook: {} },
      [["webhook", /unknown key "webhook": accepted keys here/]],
    ],
    ["root key in the wrong case", { breakglass: {} }, [["breakglass", /did you mean "breakGlass"/]]],
    ["odd key characters are quoted", { "a.b": 1 }, [['["a.b"]', /unknown key "a.b"/]]],
    [
      "__proto__ key",
      JSON.parse('{"__proto__": {"mode": "warn"}}'),
      [["__proto__", /unknown key "__proto__"/]],
    ],
    [
      "unknown requirement key",
      withRequirement({ port: ["tcp:80"] }),
      [[`${R}.port`, /did you mean "ports"/]],
    ],
    [
      "unknown key in to",
      withRequirement({ to: { node: "all()" } }),
      [[`${R}.to.node`, /did you mean "nodes"/]],
    ],
    [
      "unknown key in a source",
      withRequirement({ from: [{ net: ["10.0.0.0/8"] }] }),
      [[`${R}.from[0].net`, /did you mean "nets"/]],
    ],
    [
      "unknown key next to a valid source key",
      withRequirement({ from: [{ nodes: "all()", except: "a" }] }),
      [[`${R}.from[0].except`, /unknown key "except"/]],
    ],
    [
      "unknown key in a port object",
      withRequirement({ ports: [{ port: "tcp:80", paht: "forward" }] }),
      [[`${R}.ports[0].paht`, /did you mean "path"/]],
    ],
    [
      "unknown key in failsafe",
      { failsafe: { ingress: "none" } },
      [["failsafe.ingress", /accepted keys here: inbound, outbound/]],
    ],
    [
      "unknown key in a failsafe entry",
      { failsafe: { inbound: [{ protocol: "TCP", port: 22, cidr: "10.0.0.0/8" }] } },
      [["failsafe.inbound[0].cidr", /accepted keys here: protocol, port, net/]],
    ],
    ["unknown key in coverage", { coverage: { node: "all()" } }, [["coverage.node", /did you mean "nodes"/]]],
    [
      "unknown key in breakGlass",
      { breakGlass: { user: ["alice"] } },
      [["breakGlass.user", /did you mean "users"/]],
    ],

    // selectors
    [
      "bad to selector, with its offset",
      withRequirement({ to: { nodes: "has(" } }),
      [[`${R}.to.nodes`, /invalid selector "has\(": expected a label name inside "has\(" at offset 4/]],
    ],
    [
      "bad nodes source selector",
      withRequirement({ from: [{ nodes: "role == " }] }),
      [[`${R}.from[0].nodes`, /invalid selector "role == ": .* at offset 8/]],
    ],
    [
      "bad globalNetworkSets selector",
      withRequirement({ from: [{ globalNetworkSets: "role = 'x'" }] }),
      [[`${R}.from[0].globalNetworkSets`, /invalid selector .* at offset \d+/]],
    ],
    [
      "selector not a string",
      withRequirement({ to: { nodes: ["all()"] } }),
      [[`${R}.to.nodes`, /expected a Calico selector string .* not an array/]],
    ],
    [
      "bad coverage selector",
      { coverage: { nodes: "all(" } },
      [["coverage.nodes", /invalid selector "all\(": .*offset/]],
    ],
    ["to is a string", withRequirement({ to: "all()" }), [[`${R}.to`, /expected \{nodes: "<selector>"\}/]]],

    // CIDRs and sources
    [
      "bad CIDR",
      withRequirement({ from: [{ nets: ["10.0.0.0/33"] }] }),
      [[`${R}.from[0].nets[0]`, /prefix length 33 is more than 32 .*expected a CIDR such as "10.0.0.0\/8"/]],
    ],
    [
      "bad CIDR in the second source",
      withRequirement({ from: ["anywhere", { nets: ["10.0.0.0/8", "not-an-ip"] }] }),
      [[`${R}.from[1].nets[1]`, /"not-an-ip" is not an IP address/]],
    ],
    [
      "CIDR not a string",
      withRequirement({ from: [{ nets: [10] }] }),
      [[`${R}.from[0].nets[0]`, /expected a CIDR or IP string .* not a number/]],
    ],
    [
      "empty nets",
      withRequirement({ from: [{ nets: [] }] }),
      [[`${R}.from[0].nets`, /the list is empty: give at least one CIDR/]],
    ],
    [
      "nets not a list",
      withRequirement({ from: [{ nets: "10.0.0.0/8" }] }),
      [[`${R}.from[0].nets`, /expected a list of CIDRs/]],
    ],
    [
      "anywhere: false",
      withRequirement({ from: [{ anywhere: false }] }),
      [[`${R}.from[0].anywhere`, /anywhere: false is not accepted; remove the entry/]],
    ],
    [
      "loopback: yes",
      withRequirement({ from: [{ loopback: "yes" }] }),
      [[`${R}.from[0].loopback`, /expected true .* not a string/]],
    ],
    [
      "two kinds in one source",
      withRequirement({ from: [{ nodes: "all()", anywhere: true }] }),
      [[`${R}.from[0]`, /exactly one of .*; found nodes and anywhere \(write separate entries\)/]],
    ],
    [
      "empty source",
      withRequirement({ from: [{}] }),
      [[`${R}.from[0]`, /an empty source; write anywhere, loopback/]],
    ],
    [
      "unknown source word",
      withRequirement({ from: ["everywhere"] }),
      [[`${R}.from[0]`, /"everywhere" is not a source; write anywhere, loopback/]],
    ],
    ["source a number", withRequirement({ from: [1] }), [[`${R}.from[0]`, /a number is not a source/]]],

    // ports
    [
      "tcp:0",
      withRequirement({ ports: ["tcp:0"] }),
      [[`${R}.ports[0]`, /"tcp:0": port 0 is not allowed \(ports are 1-65535\)/]],
    ],
    [
      "tcp:70000",
      withRequirement({ ports: ["tcp:80", "tcp:70000"] }),
      [[`${R}.ports[1]`, /port 70000 is out of range \(1-65535\)/]],
    ],
    [
      "tcp:200-100",
      withRequirement({ ports: ["tcp:200-100"] }),
      [[`${R}.ports[0]`, /range starts at 200, after its end 100/]],
    ],
    [
      "udp without a port",
      withRequirement({ ports: ["udp"] }),
      [[`${R}.ports[0]`, /UDP needs a port or a range/]],
    ],
    [
      "icmp:300",
      withRequirement({ ports: ["icmp:300"] }),
      [[`${R}.ports[0]`, /ICMP type 300 is out of range \(0-254\)/]],
    ],
    [
      "unknown protocol",
      withRequirement({ ports: ["http:80"] }),
      [[`${R}.ports[0]`, /is not a port; use tcp:<port>, udp:<port>/]],
    ],
    [
      "path: forward on icmp",
      withRequirement({ ports: [{ port: "icmp:8", path: "forward" }] }),
      [[`${R}.ports[0].path`, /path: forward needs a tcp, udp or sctp port .*"icmp:8" can only be host/]],
    ],
    [
      "path: forward on ipip",
      withRequirement({ ports: [{ port: "ipip", path: "forward" }] }),
      [[`${R}.ports[0].path`, /path: forward needs a tcp, udp or sctp port/]],
    ],
    [
      "unknown path",
      withRequirement({ ports: [{ port: "tcp:80", path: "dnat" }] }),
      [[`${R}.ports[0].path`, /"dnat" is not accepted: use one of host, forward/]],
    ],
    [
      "bad port in an object",
      withRequirement({ ports: [{ port: "tcp:0" }] }),
      [[`${R}.ports[0].port`, /port 0 is not allowed/]],
    ],
    [
      "port object without port",
      withRequirement({ ports: [{ path: "forward" }] }),
      [[`${R}.ports[0].port`, /is required: write one of tcp:<port>/]],
    ],
    [
      "port a number",
      withRequirement({ ports: [80] }),
      [[`${R}.ports[0]`, /expected a port string .* not a number/]],
    ],
    [
      "port object with a numeric port",
      withRequirement({ ports: [{ port: 80 }] }),
      [[`${R}.ports[0].port`, /expected a port string/]],
    ],

    // requirement shape
    [
      "empty from",
      withRequirement({ from: [] }),
      [[`${R}.from`, /the list is empty: give at least one of sources/]],
    ],
    [
      "missing from",
      withRequirement({ from: undefined }),
      [[`${R}.from`, /is required: give a list of sources/]],
    ],
    ["from not a list", withRequirement({ from: "anywhere" }), [[`${R}.from`, /expected a list of sources/]]],
    [
      "empty ports",
      withRequirement({ ports: [] }),
      [[`${R}.ports`, /the list is empty: give at least one of ports/]],
    ],
    [
      "missing ports",
      withRequirement({ ports: undefined }),
      [[`${R}.ports`, /is required: give a list of ports/]],
    ],
    [
      "missing name",
      withRequirement({ name: undefined }),
      [[`${R}.name`, /is required: every requirement needs a unique name/]],
    ],
    [
      "name not a string",
      withRequirement({ name: 7 }),
      [[`${R}.name`, /expected a name string .* not a number/]],
    ],
    [
      "name with capitals",
      withRequirement({ name: "Ingress" }),
      [[`${R}.name`, /"Ingress" is not a valid name: use lower-case letters/]],
    ],
    ["name ending with -", withRequirement({ name: "ingress-" }), [[`${R}.name`, /is not a valid name/]]],
    ["name with an empty part", withRequirement({ name: "a//b" }), [[`${R}.name`, /is not a valid name/]]],
    ["name part too long", withRequirement({ name: "x".repeat(64) }), [[`${R}.name`, /is not a valid name/]]],
    [
      "duplicate names",
      {
        profiles: [],
        requirements: [requirement({ name: "a" }), requirement({ name: "b" }), requirement({ name: "a" })],
      },
      [["requirements[2].name", /duplicate name "a" \(also requirements\[0\]\.name\)/]],
    ],
    [
      "duplicate names are reported even when the entry has other errors",
      { profiles: [], requirements: [requirement({ name: "a" }), requirement({ name: "a", ports: [] })] },
      [
        ["requirements[1].name", /duplicate name "a"/],
        ["requirements[1].ports", /the list is empty/],
      ],
    ],
    [
      "a name of an enabled profile's requirement",
      { profiles: ["kubeadm"], requirements: [requirement({ name: "kubeadm/nodes" })] },
      [["requirements[0].name", /"kubeadm\/nodes" is the name of a requirement of the kubeadm profile/]],
    ],
    [
      "requirement not an object",
      { profiles: [], requirements: ["tcp:80"] },
      [["requirements[0]", /expected a requirement \{name, to, from, ports\}, not a string/]],
    ],
    [
      "requirements not a list",
      { requirements: { name: "a" } },
      [["requirements", /expected a list of requirements/]],
    ],
    [
      "requirements null",
      { requirements: null },
      [["requirements", /has no value; write a list of requirements/]],
    ],

    // failsafe
    [
      "failsafe sctp:1",
      { failsafe: { inbound: ["sctp:1"] } },
      [["failsafe.inbound[0]", /unknown protocol "sctp" \(Felix accepts only tcp and udp here/]],
    ],
    [
      "failsafe SCTP object",
      { failsafe: { outbound: [{ protocol: "SCTP", port: 1 }] } },
      [
        [
          "failsafe.outbound[0].protocol",
          /SCTP failsafe entries are not accepted: Felix parses only tcp and udp/,
        ],
      ],
    ],
    [
      "failsafe tcp:0",
      { failsafe: { inbound: ["tcp:0"] } },
      [["failsafe.inbound[0]", /the port must be a number 1-65535/]],
    ],
    [
      "failsafe tcp:70000",
      { failsafe: { inbound: ["tcp:70000"] } },
      [["failsafe.inbound[0]", /port 70000 is out of range/]],
    ],
    [
      "failsafe signed port",
      { failsafe: { inbound: ["tcp:+22"] } },
      [["failsafe.inbound[0]", /the port must be a number 1-65535/]],
    ],
    [
      "failsafe bad net",
      { failsafe: { inbound: ["tcp:10.0.0.0/40:22"] } },
      [["failsafe.inbound[0]", /invalid net: .*prefix length 40/]],
    ],
    [
      "failsafe two entries in one string",
      { failsafe: { inbound: ["tcp:22,udp:68"] } },
      [["failsafe.inbound[0]", /not one failsafe entry: write one per list item/]],
    ],
    [
      "failsafe none as an entry",
      { failsafe: { inbound: ["none"] } },
      [["failsafe.inbound[0]", /not one failsafe entry/]],
    ],
    [
      "failsafe unknown side word",
      { failsafe: { inbound: "defaults" } },
      [
        [
          "failsafe.inbound",
          /"defaults" is not accepted: use default \(Felix's built-in list\), none, or a list/,
        ],
      ],
    ],
    ["failsafe side null", { failsafe: { outbound: null } }, [["failsafe.outbound", /has no value/]]],
    [
      "failsafe not an object",
      { failsafe: "default" },
      [["failsafe", /expected \{inbound: \.\.\., outbound: \.\.\.\}/]],
    ],
    [
      "failsafe object entry errors",
      { failsafe: { inbound: [{ protocol: "ICMP", port: 0, net: "x" }] } },
      [
        ["failsafe.inbound[0].protocol", /"ICMP" is not accepted: use TCP or UDP/],
        ["failsafe.inbound[0].port", /0 is not a port: give a port number 1-65535/],
        ["failsafe.inbound[0].net", /"x" is not an IP address/],
      ],
    ],
    [
      "failsafe object entry missing fields",
      { failsafe: { inbound: [{}] } },
      [
        ["failsafe.inbound[0].protocol", /is required: use TCP or UDP/],
        ["failsafe.inbound[0].port", /is required: give a port number/],
      ],
    ],
    [
      "failsafe entry a number",
      { failsafe: { inbound: [22] } },
      [["failsafe.inbound[0]", /expected a failsafe entry .* not a number/]],
    ],

    // coverage, breakGlass, maxWarnings
    ["coverage a string", { coverage: "all()" }, [["coverage", /expected \{nodes: "<selector>"\}/]]],
    [
      "breakGlass a list",
      { breakGlass: ["alice"] },
      [["breakGlass", /expected \{annotation, users: \[\.\.\.\], groups: \[\.\.\.\]\}/]],
    ],
    [
      "bad annotation name",
      { breakGlass: { annotation: "break glass" } },
      [["breakGlass.annotation", /not a Kubernetes annotation key: the name must be 1-63/]],
    ],
    [
      "bad annotation prefix",
      { breakGlass: { annotation: "Hostguard.dev/x" } },
      [["breakGlass.annotation", /the prefix before '\/' must be a DNS subdomain/]],
    ],
    [
      "empty annotation",
      { breakGlass: { annotation: "" } },
      [["breakGlass.annotation", /not a Kubernetes annotation key/]],
    ],
    [
      "users not a list",
      { breakGlass: { users: "alice" } },
      [["breakGlass.users", /expected a list of user names/]],
    ],
    [
      "bad group entries",
      { breakGlass: { groups: ["sre", "", 3] } },
      [
        ["breakGlass.groups[1]", /expected a non-empty string .* not an empty string/],
        ["breakGlass.groups[2]", /not a number/],
      ],
    ],
    [
      "maxWarnings 0",
      { maxWarnings: 0 },
      [["maxWarnings", /0 is not accepted: use a whole number from 1 to 100/]],
    ],
    ["maxWarnings 101", { maxWarnings: 101 }, [["maxWarnings", /101 is not accepted/]]],
    ["maxWarnings 2.5", { maxWarnings: 2.5 }, [["maxWarnings", /2\.5 is not accepted/]]],
    ["maxWarnings a string", { maxWarnings: "10" }, [["maxWarnings", /a string is not accepted/]]],
  ];
  for (const [title, value, expected] of cases) {
    test(title, () => check(expectErrors(parseConfig(value)), expected));
  }

  test("all errors of a document are collected", () => {
    const errors = expectErrors(
      parseConfig({
        mode: "block",
        profiles: ["rancher", "rancher"],
        requirements: [
          { from: [], ports: ["tcp:0", "udp"], to: { nodes: "has(" } },
          requirement({ from: [{ nets: ["1.2.3.4/99"] }] }),
        ],
        failsafe: { inbound: ["sctp:1"], outbound: "nope" },
        coverage: { nodes: 1 },
        breakGlass: { annotation: "x y" },
        maxWarnings: 0,
        extra: true,
      }),
    );
    assert.deepEqual(errors.map((e) => e.path).sort(), [
      "breakGlass.annotation",
      "coverage.nodes",
      "extra",
      "failsafe.inbound[0]",
      "failsafe.outbound",
      "maxWarnings",
      "mode",
      "profiles[1]",
      "requirements[0].from",
      "requirements[0].name",
      "requirements[0].ports[0]",
      "requirements[0].ports[1]",
      "requirements[0].to.nodes",
      "requirements[1].from[0].nets[0]",
    ]);
  });
});

describe("invalid YAML text", () => {
  const cases: [title: string, text: string, expected: Expected[]][] = [
    [
      "syntax error, with the line",
      "mode: enforce\nprofiles: [rancher\n",
      [["", /^YAML syntax error: .* at line \d+, column \d+$/]],
    ],
    ["bad indentation", "requirements:\n  - name: a\n   from: x\n", [["", /YAML syntax error: .*line 3/]]],
    [
      "duplicate keys",
      "mode: warn\nmode: enforce\n",
      [["", /YAML syntax error: Map keys must be unique at line 2/]],
    ],
    ["two documents", "mode: warn\n---\nmode: enforce\n", [["", /expected one YAML document, found 2/]]],
    ["unresolved alias", "mode: *m\n", [["", /YAML error: Unresolved alias/]]],
    ["root scalar", "enforce\n", [["", /must be a mapping .* found a string/]]],
    ["root list", "- mode: warn\n", [["", /found an array/]]],
    ["mode: (null)", "mode:\n", [["mode", /null is not accepted/]]],
    ["requirements: (null)", "requirements:\n", [["requirements", /has no value/]]],
    [
      "errors inside a valid YAML document keep their paths",
      "profiles: []\nrequirements:\n  - name: x\n    from: [anywhere]\n    ports: [tcp:0, {port: icmp:8, path: forward}]\n",
      [
        ["requirements[0].ports[0]", /port 0 is not allowed/],
        ["requirements[0].ports[1].path", /path: forward needs a tcp/],
      ],
    ],
  ];
  for (const [title, text, expected] of cases) {
    test(title, () => check(expectErrors(parseConfigYaml(text)), expected));
  }

  test("alias bombs are refused, not expanded", () => {
    const lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 8; i++) {
      const prev = `*a${i - 1}`;
      lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => prev).join(", ")}]`);
    }
    const errors = expectErrors(parseConfigYaml(lines.join("\n")));
    assert.equal(errors.length >= 1, true);
    assert.ok(errors.every((e) => e.path === "" || e.path.startsWith("a")));
  });

  test("a non-string argument is an error, not an exception", () => {
    check(expectErrors(parseConfigYaml(42 as unknown as string)), [["", /must be YAML text/]]);
  });
});
