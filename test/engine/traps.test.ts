/** One test per trap of calico-semantics §12 (T1–T9); each names the section it pins down. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { explain, hepsYaml, nodesYaml, stateFromYaml } from "../helpers/state.js";

const EGRESS_ALLOW = `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: egress-allow }
spec: { selector: has(kubernetes-host), order: 1, egress: [ { action: Allow } ] }
`;

describe("calico-semantics §12 traps", () => {
  test("T1 (§5.5): a preDNAT Allow is final for host-bound ingress; a normal deny-all cannot undo it", () => {
    const state = stateFromYaml(
      nodesYaml(2),
      hepsYaml(2),
      EGRESS_ALLOW,
      `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: pre-allow-kubelet }
spec:
  selector: has(kubernetes-host)
  preDNAT: true
  applyOnForward: true
  ingress: [ { action: Allow, protocol: TCP, destination: { ports: [10250] } } ]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: deny-all }
spec: { selector: has(kubernetes-host), order: 1, types: [Ingress], ingress: [ { action: Deny } ] }
`,
    );
    const allowed = explain(state, { from: "n1", to: "n2", protocol: "TCP", port: 10250 });
    assert.equal(allowed.verdict, "allow");
    assert.equal(allowed.stage, "preDNAT");
    assert.equal(allowed.policy, "pre-allow-kubelet");
    const denied = explain(state, { from: "n1", to: "n2", protocol: "TCP", port: 10254 });
    assert.equal(denied.verdict, "deny");
    assert.equal(denied.policy, "deny-all");
    assert.equal(denied.ruleIndex, 0);
  });

  test("T2 (§6): selector IP sets hold expectedIPs only; an interface-only HEP is invisible to has(kubernetes-host)", () => {
    const heps = `
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: { name: n1-eth0, labels: { kubernetes-host: "" } }
spec: { node: n1, interfaceName: eth0 }
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: { name: n2-eth0, labels: { kubernetes-host: "" } }
spec: { node: n2, interfaceName: eth0, expectedIPs: [10.0.0.2] }
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: { name: n3-eth0, labels: { kubernetes-host: "" } }
spec: { node: n3, interfaceName: eth0, expectedIPs: [10.0.0.3] }
`;
    const ingress = `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: from-hosts }
spec:
  selector: has(kubernetes-host)
  order: 10
  ingress: [ { action: Allow, source: { selector: has(kubernetes-host) } } ]
`;
    const state = stateFromYaml(nodesYaml(3), heps, EGRESS_ALLOW, ingress);
    assert.equal(explain(state, { from: "n2", to: "n3", protocol: "TCP", port: 10250 }).verdict, "allow");
    const fromInterfaceOnly = explain(state, { from: "n1", to: "n3", protocol: "TCP", port: 10250 });
    assert.equal(fromInterfaceOnly.verdict, "deny");
    assert.equal(fromInterfaceOnly.side, "ingress");
  });

  test("T3 (§2.3): a v1 policy written without types is Ingress+Egress to Felix; the same v3 object is Egress only", () => {
    const egressOnly = (apiVersion: string) => `
apiVersion: ${apiVersion}
kind: GlobalNetworkPolicy
metadata: { name: egress-dns }
spec:
  selector: has(kubernetes-host)
  egress: [ { action: Allow } ]
`;
    const autoHeps = Array.from(
      { length: 2 },
      (_, i) => `apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: { name: n${i + 1}-auto, labels: { kubernetes-host: "" } }
spec: { node: n${i + 1}, interfaceName: "*", expectedIPs: [10.0.0.${i + 1}], profiles: [projectcalico-default-allow] }
`,
    ).join("---\n");
    const v3 = stateFromYaml(nodesYaml(2), autoHeps, egressOnly("projectcalico.org/v3"));
    const v1 = stateFromYaml(nodesYaml(2), autoHeps, egressOnly("crd.projectcalico.org/v1"));
    assert.equal(explain(v3, { from: "n1", to: "n2", protocol: "TCP", port: 10250 }).verdict, "allow");
    const trap = explain(v1, { from: "n1", to: "n2", protocol: "TCP", port: 10250 });
    assert.equal(trap.verdict, "deny");
    assert.equal(trap.side, "ingress");
    assert.match(trap.reason, /end of tier default/);
  });

  test("T4 (§5.4): the end-of-tier deny applies only in directions where a policy selects the HEP", () => {
    const autoHep = `
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: { name: n2-auto, labels: { kubernetes-host: "" } }
spec: { node: n2, interfaceName: "*", expectedIPs: [10.0.0.2], profiles: [projectcalico-default-allow] }
`;
    const ingressOnly = `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: ssh-only }
spec: { selector: all(), types: [Ingress], ingress: [ { action: Allow, protocol: TCP, destination: { ports: [2222] } } ] }
`;
    const state = stateFromYaml(nodesYaml(2), autoHep, ingressOnly);
    const inbound = explain(state, { from: "192.0.2.1", to: "n2", protocol: "TCP", port: 8080 });
    assert.equal(inbound.verdict, "deny");
    assert.equal(inbound.stage, "normal");
    const outbound = explain(state, { from: "n2", to: "192.0.2.1", protocol: "TCP", port: 8080 });
    assert.equal(outbound.verdict, "allow");
    assert.equal(outbound.stage, "profile");
  });

  test("T5 (§5.1, §5.8): only a * HEP polices node-local traffic, only the first * HEP counts, doNotTrack is ignored on it", () => {
    const named = stateFromYaml(nodesYaml(1), hepsYaml(1));
    const viaLo = explain(named, { from: "n1", to: "n1", protocol: "TCP", port: 10250 });
    assert.equal(viaLo.verdict, "allow");
    assert.equal(viaLo.stage, "unpoliced");

    const wildcards = `
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: { name: a-star, labels: { first: "" } }
spec: { node: n1, interfaceName: "*", expectedIPs: [10.0.0.1] }
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: { name: b-star, labels: { second: "" } }
spec: { node: n1, interfaceName: "*", expectedIPs: [10.0.0.1], profiles: [projectcalico-default-allow] }
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: untracked-allow }
spec:
  selector: has(first)
  doNotTrack: true
  applyOnForward: true
  ingress: [ { action: Allow } ]
  egress: [ { action: Allow } ]
`;
    const state = stateFromYaml(nodesYaml(1), wildcards);
    const local = explain(state, { from: "n1@127.0.0.1", to: "n1@127.0.0.1", protocol: "TCP", port: 10259 });
    assert.equal(local.hostEndpoint, "a-star", "the alphabetically first * HEP governs lo");
    assert.equal(local.verdict, "deny", "a-star has no profile, and its doNotTrack allow is ignored");
    assert.equal(local.stage, "profile");
  });

  test("T6 (§7.3): failsafe ports cover host traffic only, never forwarded traffic; [] and node.<name> remove them", () => {
    const base = [nodesYaml(2), hepsYaml(2), EGRESS_ALLOW];
    const state = stateFromYaml(...base);
    assert.equal(
      explain(state, { from: "192.0.2.1", to: "n1", protocol: "TCP", port: 22 }).stage,
      "failsafe",
    );
    const forwarded = explain(state, {
      from: "192.0.2.1",
      to: "n1",
      protocol: "TCP",
      port: 22,
      path: "forward",
    });
    assert.notEqual(forwarded.stage, "failsafe");

    const emptied = stateFromYaml(
      ...base,
      `
apiVersion: projectcalico.org/v3
kind: FelixConfiguration
metadata: { name: node.n2 }
spec: { failsafeInboundHostPorts: [] }
`,
    );
    assert.equal(
      explain(emptied, { from: "192.0.2.1", to: "n1", protocol: "TCP", port: 22 }).verdict,
      "allow",
    );
    assert.equal(
      explain(emptied, { from: "192.0.2.1", to: "n2", protocol: "TCP", port: 22 }).verdict,
      "deny",
    );

    const annotated = stateFromYaml(
      ...base,
      `
apiVersion: projectcalico.org/v3
kind: FelixConfiguration
metadata:
  name: default
  annotations: { config.projectcalico.org/FailsafeInboundHostPorts: "tcp:10.9.0.0/16:22" }
spec: { failsafeInboundHostPorts: [ { protocol: TCP, port: 22 } ] }
`,
    );
    assert.equal(
      explain(annotated, { from: "10.9.1.1", to: "n1", protocol: "TCP", port: 22 }).stage,
      "failsafe",
    );
    assert.equal(
      explain(annotated, { from: "192.0.2.1", to: "n1", protocol: "TCP", port: 22 }).verdict,
      "deny",
    );
  });

  test("T7 (§1.2, §4): != matches endpoints without the label; a namespaceSelector keeps a GNP off HEPs", () => {
    const policies = `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: not-db }
spec: { selector: role != 'db', order: 1, types: [Ingress], ingress: [ { action: Deny, protocol: TCP, destination: { ports: [9000] } } ] }
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: namespaced }
spec: { selector: all(), namespaceSelector: all(), order: 2, types: [Ingress], ingress: [ { action: Deny } ] }
`;
    const autoHep = `
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: { name: n1-auto }
spec: { node: n1, interfaceName: "*", expectedIPs: [10.0.0.1], profiles: [projectcalico-default-allow] }
`;
    const state = stateFromYaml(nodesYaml(1), autoHep, policies);
    const r = explain(state, { from: "192.0.2.1", to: "n1", protocol: "TCP", port: 9000 });
    assert.equal(r.verdict, "deny");
    assert.equal(r.policy, "not-db");
    const other = explain(state, { from: "192.0.2.1", to: "n1", protocol: "TCP", port: 9001 });
    assert.equal(other.verdict, "deny", "not-db selects the HEP for ingress: end of tier");
    assert.notEqual(other.policy, "namespaced", "the namespaced GNP never selects the HEP");
  });

  test("T8 (§2.3): v1 objects keep labels in the projectcalico.org/metadata annotation; default. is stripped", () => {
    const v1 = `
apiVersion: crd.projectcalico.org/v1
kind: HostEndpoint
metadata:
  name: n1-auto-hep
  labels: { projectcalico.org/created-by: calico-kube-controllers }
  annotations:
    projectcalico.org/metadata: '{"labels":{"kubernetes-host":"","projectcalico.org/created-by":"calico-kube-controllers"}}'
spec: { node: n1, interfaceName: "*", expectedIPs: [10.0.0.1], profiles: [projectcalico-default-allow] }
---
apiVersion: crd.projectcalico.org/v1
kind: GlobalNetworkPolicy
metadata: { name: default.deny-9000 }
spec: { selector: has(kubernetes-host), types: [Ingress], ingress: [ { action: Deny, protocol: TCP, destination: { ports: [9000] } } ] }
`;
    const state = stateFromYaml(nodesYaml(1), v1);
    const r = explain(state, { from: "192.0.2.1", to: "n1", protocol: "TCP", port: 9000 });
    assert.equal(r.verdict, "deny");
    assert.equal(r.policy, "deny-9000");
  });

  test("T9 (§5.11): flannel VXLAN (UDP 8472) gets no overlay auto-allow; it needs a policy", () => {
    const state = stateFromYaml(nodesYaml(2), hepsYaml(2), EGRESS_ALLOW);
    const r = explain(state, { from: "n1", to: "n2", protocol: "UDP", port: 8472 });
    assert.equal(r.verdict, "deny");
    assert.equal(r.side, "ingress");
  });
});
