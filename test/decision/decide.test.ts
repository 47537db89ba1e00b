/** decide(): the edge cases of the checks issue, through the public decision API. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { parseConfig } from "../../src/config/index.js";
import type { GuardConfig } from "../../src/config/types.js";
import { decide, type Decision, type DecisionRequest } from "../../src/decision/decide.js";
import { hepsYaml, nodesYaml, stateFromYaml } from "../helpers/state.js";
import type { ClusterState } from "../../src/engine/state.js";

function config(doc: unknown = {}): GuardConfig {
  const c = parseConfig(doc);
  assert.ok(c.ok, c.ok ? "" : JSON.stringify(c.error));
  return c.value;
}

const RANCHER = config({ profiles: ["rancher"] });

const EGRESS_ALLOW = `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: egress-allow }
spec: { selector: has(kubernetes-host), order: 1, egress: [ { action: Allow } ] }
`;
const INGRESS_FROM_HOSTS = `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: from-hosts }
spec:
  selector: has(kubernetes-host)
  order: 10
  ingress: [ { action: Allow, source: { selector: has(kubernetes-host) } } ]
`;

function apply(
  state: ClusterState,
  yaml: string,
  cfg: GuardConfig = RANCHER,
  extra: Partial<DecisionRequest> = {},
): Decision {
  const object = parse(yaml) as { kind: string; metadata: { name: string } };
  return decide(
    state,
    { operation: "UPDATE", kind: object.kind, name: object.metadata.name, object, ...extra },
    cfg,
  );
}

function del(
  state: ClusterState,
  kind: string,
  name: string,
  cfg: GuardConfig = RANCHER,
  extra: Partial<DecisionRequest> = {},
): Decision {
  return decide(state, { operation: "DELETE", kind, name, ...extra }, cfg);
}

const protectedCluster = () => stateFromYaml(nodesYaml(3), hepsYaml(3), EGRESS_ALLOW, INGRESS_FROM_HOSTS);

describe("decide: failsafe-ports", () => {
  const felix = (spec: string, name = "default", annotations = "") => `
apiVersion: projectcalico.org/v3
kind: FelixConfiguration
metadata: { name: ${name}${annotations ? `, annotations: { ${annotations} }` : ""} }
spec: ${spec}
`;

  test("an omitted list means Felix's defaults; [] means none", () => {
    const state = protectedCluster();
    assert.equal(apply(state, felix("{}")).allowed, true);
    const d = apply(state, felix("{ failsafeInboundHostPorts: [] }"));
    assert.equal(d.allowed, false);
    assert.ok(d.violations.some((v) => v.check === "failsafe-ports" && v.ports === "22" && v.node === "n1"));
    assert.match(d.message!, /failsafe-ports: failsafeInboundHostPorts loses TCP 22, UDP 68/);
    assert.match(d.message!, /on: all 3 nodes/);
  });

  test("a net narrowed is a violation", () => {
    const d = apply(
      protectedCluster(),
      felix("{ failsafeInboundHostPorts: [ { protocol: TCP, port: 22, net: 10.0.0.0/8 } ] }"),
    );
    assert.equal(d.allowed, false);
    assert.ok(
      d.violations.some(
        (v) =>
          v.check === "failsafe-ports" &&
          v.ports === "22" &&
          /only TCP 22 from 10\.0\.0\.0\/8/.test(v.message),
      ),
    );
  });

  test("SCTP in a failsafe list is denied: Felix would stop loading its config", () => {
    const d = apply(
      protectedCluster(),
      felix(`{ failsafeInboundHostPorts: [ { protocol: TCP, port: 22 }, { protocol: SCTP, port: 9 } ] }`),
    );
    assert.equal(d.allowed, false);
    assert.ok(d.violations.some((v) => v.check === "calico-valid" && /SCTP/i.test(v.message)));
  });

  test("node.<name> overrides only that node; an annotation overrides the spec field", () => {
    const perNode = apply(protectedCluster(), felix("{ failsafeOutboundHostPorts: [] }", "node.n2"));
    assert.equal(perNode.allowed, false);
    assert.deepEqual([...new Set(perNode.violations.map((v) => v.node))], ["n2"]);

    const annotated = apply(
      protectedCluster(),
      felix("{}", "default", `config.projectcalico.org/FailsafeInboundHostPorts: "tcp:22"`),
    );
    assert.equal(annotated.allowed, false);
    assert.ok(annotated.violations.some((v) => v.ports === "6443" && /annotation/.test(v.message)));
  });
});

describe("decide: node-coverage", () => {
  test("a * HEP next to a named HEP: deleting the named one leaves the * HEP governing, which must list the IP", () => {
    const star = `
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: { name: n1-star, labels: { kubernetes-host: "" } }
spec: { node: n1, interfaceName: "*", expectedIPs: [10.0.0.1], profiles: [projectcalico-default-allow] }
`;
    const state = stateFromYaml(nodesYaml(3), hepsYaml(3), star, EGRESS_ALLOW, INGRESS_FROM_HOSTS);
    const d = del(state, "HostEndpoint", "n1-eth0");
    assert.equal(
      d.violations.filter((v) => v.check === "node-coverage").length,
      0,
      "the * HEP lists 10.0.0.1, so n1 stays covered",
    );
  });

  test("a HEP for a node that does not exist is admitted with a warning", () => {
    const d = apply(
      protectedCluster(),
      `
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: { name: ghost-eth0, labels: { kubernetes-host: "" } }
spec: { node: ghost, interfaceName: eth0, expectedIPs: [10.0.0.99] }
`,
    );
    assert.equal(d.allowed, true, d.message);
    assert.ok(
      d.warnings.some((w) => /ghost/.test(w) && /does not exist/.test(w)),
      JSON.stringify(d.warnings),
    );
  });

  test("IPv6 nodes: a HEP that drops the node's IPv6 address uncovers it", () => {
    const nodes = `
apiVersion: v1
kind: Node
metadata: { name: v6, labels: { kubernetes-host: "" } }
status: { addresses: [ { type: InternalIP, address: "fd00::10" } ] }
`;
    const hep = (ip: string) => `
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: { name: v6-eth0, labels: { kubernetes-host: "" } }
spec: { node: v6, interfaceName: eth0, expectedIPs: ["${ip}"] }
`;
    const state = stateFromYaml(nodes, hep("fd00::10"));
    const d = apply(state, hep("fd00::11"));
    assert.equal(d.allowed, false);
    assert.ok(
      d.violations.some((v) => v.check === "node-coverage" && v.node === "v6" && /fd00::10/.test(v.message)),
    );
  });
});

describe("decide: required-ports", () => {
  test("a v1 policy without types is Ingress+Egress to Felix: its egress default deny cuts nodes off", () => {
    // Auto HEPs allow everything through their profile until a policy selects them in a direction.
    const autoHeps = Array.from(
      { length: 3 },
      (_, i) => `apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: { name: n${i + 1}-auto, labels: { kubernetes-host: "" } }
spec: { node: n${i + 1}, interfaceName: "*", expectedIPs: [10.0.0.${i + 1}], profiles: [projectcalico-default-allow] }
`,
    ).join("---\n");
    const ingressOnly = (apiVersion: string) => `
apiVersion: ${apiVersion}
kind: GlobalNetworkPolicy
metadata: { name: ingress-only }
spec: { selector: has(kubernetes-host), ingress: [ { action: Allow } ] }
`;
    const state = stateFromYaml(nodesYaml(3), autoHeps);
    assert.equal(apply(state, ingressOnly("projectcalico.org/v3")).allowed, true, "v3: defaulted to Ingress");
    const d = apply(state, ingressOnly("crd.projectcalico.org/v1"));
    assert.equal(d.allowed, false, "v1 without types: Felix applies it to egress too (trap T3)");
    assert.ok(d.violations.some((v) => v.check === "required-ports" && v.droppedBy?.side === "egress"));
  });

  test("a tier whose defaultAction is Pass hands unmatched traffic to the next tier", () => {
    const tierYaml = (action: string) => `
apiVersion: projectcalico.org/v3
kind: Tier
metadata: { name: platform }
spec: { order: 100, defaultAction: ${action} }
`;
    const platform = `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: platform.ssh-only }
spec: { tier: platform, selector: has(kubernetes-host), types: [Ingress], ingress: [ { action: Allow, protocol: TCP, destination: { ports: [22] } } ] }
`;
    const state = stateFromYaml(
      nodesYaml(3),
      hepsYaml(3),
      EGRESS_ALLOW,
      INGRESS_FROM_HOSTS,
      tierYaml("Pass"),
      platform,
    );
    assert.equal(apply(state, tierYaml("Pass")).allowed, true);
    const d = apply(state, tierYaml("Deny"));
    assert.equal(d.allowed, false);
    assert.ok(d.violations.some((v) => v.ports === "10250" && v.droppedBy?.tier === "platform"));
  });

  test("pre-existing findings are warnings, never a denial, and are capped", () => {
    const state = stateFromYaml(nodesYaml(3), hepsYaml(3), EGRESS_ALLOW); // no ingress allow: everything denied already
    // One finding per class of nodes and port: 3 alike nodes make fewer findings than the default cap.
    const capped = config({ profiles: ["rancher"], maxWarnings: 4 });
    const d = apply(
      state,
      `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: { name: unrelated }
spec: { nets: [ 198.51.100.0/24 ] }
`,
      capped,
    );
    assert.equal(d.allowed, true);
    assert.equal(d.violations.length, 0);
    assert.ok(d.preExisting.length > capped.maxWarnings);
    assert.equal(d.warnings.length, capped.maxWarnings + 1);
    assert.match(d.warnings.at(-1)!, /more findings that predate this change/);
    assert.ok(d.warnings.every((w) => w.length <= 120));
  });

  test("removing networks from an internal-net set is allowed with a warning naming them", () => {
    const set = (nets: string) => `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: { name: internal, labels: { role: internal-net } }
spec: { nets: [ ${nets} ] }
`;
    const state = stateFromYaml(
      nodesYaml(3),
      hepsYaml(3),
      EGRESS_ALLOW,
      INGRESS_FROM_HOSTS,
      set("192.168.100.0/24, 10.10.0.5/32"),
    );
    const d = apply(state, set("192.168.100.0/24"));
    assert.equal(d.allowed, true);
    assert.ok(
      d.warnings.some((w) => w.includes("10.10.0.5/32")),
      JSON.stringify(d.warnings),
    );
  });
});

describe("decide: modes, break-glass, bad input", () => {
  const breaking = () => del(protectedCluster(), "GlobalNetworkPolicy", "from-hosts");

  test("enforce denies with a message naming object, flow, policy and a fix", () => {
    const d = breaking();
    assert.equal(d.allowed, false);
    assert.match(d.message!, /^hostguard denied DELETE GlobalNetworkPolicy from-hosts/);
    assert.match(d.message!, /TCP [0-9, ]*10250/);
    assert.match(d.message!, /allowed before by: normal policy from-hosts ingress rule 0/);
    assert.match(d.message!, /Fix: /);
    assert.match(d.message!, /hostguard explain --state <dir> --from n/);
  });

  test("warn mode admits and turns violations into warnings; audit mode admits silently", () => {
    const state = protectedCluster();
    const warn = del(state, "GlobalNetworkPolicy", "from-hosts", config({ mode: "warn" }));
    assert.equal(warn.allowed, true);
    assert.ok(warn.violations.length > 0);
    assert.ok(warn.warnings.some((w) => w.startsWith("would deny: ")));
    const audit = del(state, "GlobalNetworkPolicy", "from-hosts", config({ mode: "audit" }));
    assert.equal(audit.allowed, true);
    assert.deepEqual(audit.warnings, []);
    assert.ok(audit.violations.length > 0, "the violations are still recorded for the audit log");
  });

  test("break-glass is honoured only for configured users and groups, and says why not", () => {
    const state = protectedCluster();
    const cfg = config({ breakGlass: { groups: ["system:masters"] } });
    const policy = `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: from-hosts, annotations: { hostguard.dev/break-glass: "INC-42 kubelet migration" } }
spec: { selector: has(kubernetes-host), order: 10, ingress: [ { action: Deny } ] }
`;
    const admin = apply(state, policy, cfg, { user: { username: "admin", groups: ["system:masters"] } });
    assert.equal(admin.allowed, true);
    assert.deepEqual(admin.overridden, { reason: "INC-42 kubelet migration", user: "admin" });
    const alice = apply(state, policy, cfg, { user: { username: "alice", groups: ["devs"] } });
    assert.equal(alice.allowed, false);
    assert.match(alice.message!, /alice is not in breakGlass/);
  });

  const objectKindOr = (object: unknown, fallback: string): string => {
    const kind = (object as { kind?: unknown } | null)?.kind;
    return typeof kind === "string" ? kind : fallback;
  };

  test("malformed objects are denied with their validation errors; decide never throws", () => {
    const state = protectedCluster();
    const bad: unknown[] = [
      null,
      "a string",
      {
        apiVersion: "projectcalico.org/v3",
        kind: "GlobalNetworkPolicy",
        metadata: { name: "x" },
        spec: { selector: "has(a" },
      },
      {
        apiVersion: "projectcalico.org/v3",
        kind: "GlobalNetworkPolicy",
        metadata: { name: "x" },
        spec: { ingress: [{ action: "Allow", destination: { ports: ["30000-32767"] } }] },
      },
      {
        apiVersion: "projectcalico.org/v3",
        kind: "HostEndpoint",
        metadata: { name: "h" },
        spec: { node: "n1", expectedIPs: ["::zz"] },
      },
      { apiVersion: "projectcalico.org/v2", kind: "HostEndpoint", metadata: { name: "h" }, spec: {} },
    ];
    for (const object of bad) {
      const d = decide(
        state,
        // The request's kind is the object's, as the API server sends it.
        { operation: "CREATE", kind: objectKindOr(object, "GlobalNetworkPolicy"), name: "x", object },
        RANCHER,
      );
      assert.equal(d.allowed, false, JSON.stringify(object));
      assert.ok(d.violations.every((v) => v.check === "calico-valid"));
      assert.match(d.message!, /calico-valid/);
    }
  });

  test("kinds hostguard does not guard are allowed without checks", () => {
    const d = decide(
      protectedCluster(),
      { operation: "CREATE", kind: "ConfigMap", name: "x", object: { kind: "ConfigMap" } },
      RANCHER,
    );
    assert.equal(d.allowed, true);
    assert.equal(d.guarded, false);
  });
});
