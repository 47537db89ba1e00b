// The built-in profiles, port by port, exactly as design §5 lists them.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { PROFILE_NAMES, profileRequirements } from "../../src/config/index.js";
import { icmp, bare, summary, tcp, udp } from "./helpers.js";

const CONTROL_PLANE = "(has(node-role.kubernetes.io/control-plane) || has(node-role.kubernetes.io/master))";

describe("built-in profiles", () => {
  test("rancher: to every node, from every node and internal-net network sets", () => {
    assert.deepEqual(profileRequirements("rancher").map(summary), [
      {
        name: "rancher",
        to: "all()",
        from: ["nodes all()", 'gns role == "internal-net"'],
        ports: [
          tcp(22),
          tcp(80),
          tcp(443),
          tcp(2376),
          tcp(2379),
          tcp(2380),
          tcp(6443),
          tcp(9099),
          tcp(10250),
          tcp(10254),
          tcp(30000, 32767, "forward"),
          udp(30000, 32767, "forward"),
          udp(8472),
          icmp(8),
        ],
      },
    ]);
  });

  test("kubeadm: control plane and every node", () => {
    assert.deepEqual(profileRequirements("kubeadm").map(summary), [
      { name: "kubeadm/api-server", to: CONTROL_PLANE, from: ["anywhere"], ports: [tcp(6443)] },
      {
        name: "kubeadm/control-plane",
        to: CONTROL_PLANE,
        from: [`nodes ${CONTROL_PLANE}`],
        ports: [tcp(2379, 2380), tcp(10250)],
      },
      {
        name: "kubeadm/control-plane-loopback",
        to: CONTROL_PLANE,
        from: ["loopback"],
        ports: [tcp(2379), tcp(10257), tcp(10259)],
      },
      { name: "kubeadm/nodes", to: "all()", from: [`nodes ${CONTROL_PLANE}`], ports: [tcp(10250)] },
      { name: "kubeadm/nodes-loopback", to: "all()", from: ["loopback"], ports: [tcp(10248)] },
      { name: "kubeadm/nodeports", to: "all()", from: ["anywhere"], ports: [tcp(30000, 32767, "forward")] },
    ]);
  });

  test("calico: between all nodes", () => {
    assert.deepEqual(profileRequirements("calico").map(summary), [
      {
        name: "calico",
        to: "all()",
        from: ["nodes all()"],
        ports: [tcp(179), tcp(5473), udp(4789), bare(4, "IPIP"), udp(51820, 51821)],
      },
    ]);
  });

  test("selectors keep the text of the design", () => {
    const [rancher] = profileRequirements("rancher");
    assert.equal(
      rancher?.from[1]?.kind === "globalNetworkSets" && rancher.from[1].selector.source,
      "role == 'internal-net'",
    );
    const [api] = profileRequirements("kubeadm");
    assert.equal(
      api?.to.nodes.source,
      "has(node-role.kubernetes.io/control-plane) || has(node-role.kubernetes.io/master)",
    );
  });

  test("requirement names are unique across all profiles and stable between calls", () => {
    const names = PROFILE_NAMES.flatMap((p) => profileRequirements(p).map((r) => r.name));
    assert.equal(new Set(names).size, names.length);
    for (const p of PROFILE_NAMES) assert.deepEqual(profileRequirements(p), profileRequirements(p));
  });
});
