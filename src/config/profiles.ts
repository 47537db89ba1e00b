/**
 * The built-in requirement sets (design §5). They are written out here exactly as the design lists them,
 * so that the scenario suites, the docs and the code agree port by port; the tests pin every entry.
 */
import { protocolFromNumber } from "../calico/protocol.js";
import { PROTOCOL_NUMBERS } from "../calico/types.js";
import type { FlowPath } from "../engine/evaluate.js";
import { requiredPort } from "./port-spec.js";
import { ALL_NODES, builtinSelector } from "./selectors.js";
import type { ProfileName, RequiredPort, RequiredSource, Requirement } from "./types.js";

const TCP = protocolFromNumber(PROTOCOL_NUMBERS.TCP);
const UDP = protocolFromNumber(PROTOCOL_NUMBERS.UDP);
const ICMP = protocolFromNumber(PROTOCOL_NUMBERS.ICMP);
const IPIP = protocolFromNumber(4);

function tcp(min: number, max = min, path: FlowPath = "host"): RequiredPort {
  return requiredPort({ kind: "ports", protocol: TCP, ports: { min, max } }, path);
}

function udp(min: number, max = min, path: FlowPath = "host"): RequiredPort {
  return requiredPort({ kind: "ports", protocol: UDP, ports: { min, max } }, path);
}

const ICMP_ECHO_REQUEST = 8;

const CONTROL_PLANE = builtinSelector(
  "has(node-role.kubernetes.io/control-plane) || has(node-role.kubernetes.io/master)",
);
const INTERNAL_NETS = builtinSelector("role == 'internal-net'");

const FROM_ALL_NODES: RequiredSource = { kind: "nodes", selector: ALL_NODES };
const FROM_CONTROL_PLANE: RequiredSource = { kind: "nodes", selector: CONTROL_PLANE };
const ANYWHERE: RequiredSource = { kind: "anywhere" };
const LOOPBACK: RequiredSource = { kind: "loopback" };

/** Rancher/RKE: one requirement, since every port shares the same destinations and sources. */
function rancher(): Requirement[] {
  return [
    {
      name: "rancher",
      to: { nodes: ALL_NODES },
      from: [FROM_ALL_NODES, { kind: "globalNetworkSets", selector: INTERNAL_NETS }],
      ports: [
        ...[22, 80, 443, 2376, 2379, 2380, 6443, 9099, 10250, 10254].map((p) => tcp(p)),
        // NodePorts: DNAT'd to a pod, so the apply-on-forward policies decide, not the host ones.
        tcp(30000, 32767, "forward"),
        udp(30000, 32767, "forward"),
        udp(8472),
        requiredPort({ kind: "icmp", protocol: ICMP, type: ICMP_ECHO_REQUEST }, "host"),
      ],
    },
  ];
}

/**
 * kubeadm: one requirement per (destinations, sources) pair, because a Requirement applies every port
 * to every source. 10250 from control-plane nodes to control-plane nodes is listed under both
 * kubeadm/control-plane and kubeadm/nodes, as in the design; the duplicate flow is harmless.
 */
function kubeadm(): Requirement[] {
  const toControlPlane = { nodes: CONTROL_PLANE };
  const toAll = { nodes: ALL_NODES };
  return [
    { name: "kubeadm/api-server", to: toControlPlane, from: [ANYWHERE], ports: [tcp(6443)] },
    {
      name: "kubeadm/control-plane",
      to: toControlPlane,
      from: [FROM_CONTROL_PLANE],
      ports: [tcp(2379, 2380), tcp(10250)],
    },
    {
      name: "kubeadm/control-plane-loopback",
      to: toControlPlane,
      from: [LOOPBACK],
      ports: [tcp(2379), tcp(10257), tcp(10259)],
    },
    { name: "kubeadm/nodes", to: toAll, from: [FROM_CONTROL_PLANE], ports: [tcp(10250)] },
    { name: "kubeadm/nodes-loopback", to: toAll, from: [LOOPBACK], ports: [tcp(10248)] },
    { name: "kubeadm/nodeports", to: toAll, from: [ANYWHERE], ports: [tcp(30000, 32767, "forward")] },
  ];
}

/** Calico's own dataplane traffic between nodes: BGP, Typha, VXLAN, IP-in-IP, WireGuard. */
function calico(): Requirement[] {
  return [
    {
      name: "calico",
      to: { nodes: ALL_NODES },
      from: [FROM_ALL_NODES],
      ports: [
        tcp(179),
        tcp(5473),
        udp(4789),
        requiredPort({ kind: "protocol", protocol: IPIP }, "host"),
        udp(51820, 51821),
      ],
    },
  ];
}

/** The requirements of a built-in profile, in a fixed order. */
export function profileRequirements(name: ProfileName): Requirement[] {
  switch (name) {
    case "rancher":
      return rancher();
    case "kubeadm":
      return kubeadm();
    case "calico":
      return calico();
  }
}
