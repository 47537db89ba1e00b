/**
 * Synthetic clusters for the benchmark: N nodes with HostEndpoints, M GlobalNetworkPolicies, K
 * GlobalNetworkSets and FelixConfigurations, shaped like a large Rancher cluster that went through the
 * host-firewall runbook (examples/cluster): the Rancher flows are allowed by a pre-DNAT allow list and
 * an egress allow, and everything else is the mix an operations team accumulates over the years.
 *
 * Deterministic: the same options (seed included) give the same objects, in the same order.
 */
import type { ProtoPort } from "../src/calico/types.js";
import { DEFAULT_FAILSAFE_INBOUND, DEFAULT_FAILSAFE_OUTBOUND } from "../src/engine/felix-config.js";
import { Prng } from "./prng.js";

export interface ClusterSpec {
  readonly nodes: number;
  readonly policies: number;
  readonly networkSets: number;
  readonly seed: number;
}

/** A raw Kubernetes object as the API server would list it (projectcalico.org/v3 or v1 Node). */
export interface RawObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

/** What the request generators need from a cluster, so the full object list can be dropped. */
export interface ClusterRefs {
  /** per-role / per-node policies in the default tier that no required flow depends on */
  readonly nonCriticalPolicies: readonly RawObject[];
  /** HEPs whose deletion leaves the node covered: `*` HEPs, and the eth0 HEP of nodes that also have one */
  readonly redundantHeps: readonly RawObject[];
  /** the only HEP of its node: deleting it uncovers the node */
  readonly soleHeps: readonly RawObject[];
  readonly networkSets: readonly RawObject[];
  readonly felixDefault: RawObject;
  /** the runbook's pre-DNAT allow list (`allow-inbound-cluster-internal`): every required port hangs on it */
  readonly allowPolicy: RawObject;
}

export interface GeneratedCluster {
  readonly spec: ClusterSpec;
  readonly objects: RawObject[];
  readonly counts: Readonly<Record<string, number>>;
  readonly refs: ClusterRefs;
}

const V3 = "projectcalico.org/v3";
const ZONES = ["zone-a", "zone-b", "zone-c"] as const;
const TEAMS = 20;

/** The Rancher ports (design §5 profile rancher), allowed by `allow-inbound-cluster-internal`. */
const RANCHER_TCP: readonly (number | string)[] = [
  22,
  80,
  443,
  2376,
  2379,
  2380,
  6443,
  9099,
  10250,
  10254,
  "30000:32767",
];
const RANCHER_UDP: readonly (number | string)[] = [8472, "30000:32767"];
const RANCHER_SOURCES = "has(kubernetes-host) || role == 'internal-net'";

/**
 * Felix's default failsafe lists (design §5, the engine's own defaults), written out as a hardened
 * `default` config does.
 */
const written = (list: readonly ProtoPort[]) => list.map(({ protocol, port }) => ({ protocol, port }));
const FAILSAFE_IN = written(DEFAULT_FAILSAFE_INBOUND);
const FAILSAFE_OUT = written(DEFAULT_FAILSAFE_OUTBOUND);

/** The smallest cluster the generator builds (the Rancher baseline, a tier, one of each kind of policy). */
export const MIN_SPEC = { nodes: 4, policies: 12, networkSets: 5 } as const;

function pad(i: number, width: number): string {
  return String(i).padStart(width, "0");
}

/** Node k (1-based) at 10.20.0.0/16 upwards: 65,535 nodes before the next /16. */
function nodeIp(k: number): string {
  return `10.${20 + (k >> 16)}.${(k >> 8) & 255}.${k & 255}`;
}

/** Disjoint address pools, so no deny list ever overlaps a node or an internal network by accident. */
class AddressPools {
  private partner = 0;
  private monitoring = 0;
  private blocked = 0;
  private internal = 0;
  private spare = 0;

  /** 100.64.0.0/10: partners and their aggregates */
  partnerNet(prng: Prng): string {
    const c = this.partner++;
    const base = `100.${64 + ((c >> 8) & 63)}.${c & 255}`;
    return prng.pick([`${base}.0/24`, `${base}.0/26`, `${base}.128/25`, `${base}.${prng.int(1, 254)}`]);
  }

  /** 172.16.0.0/13: monitoring and team hosts */
  monitoringNet(prng: Prng): string {
    const c = this.monitoring++;
    const base = `172.${16 + ((c >> 8) & 7)}.${c & 255}`;
    return prng.chance(0.6) ? `${base}.0/24` : `${base}.${prng.int(1, 254)}/32`;
  }

  /** 198.18.0.0/15: addresses nobody may reach the hosts from */
  blockedNet(prng: Prng): string {
    const c = this.blocked++;
    const base = `198.${18 + ((c >> 8) & 1)}.${c & 255}`;
    return prng.chance(0.5) ? `${base}.0/24` : `${base}.${prng.int(1, 254)}`;
  }

  /** 10.100.0.0/14 and 192.168.101.0+: VPNs and bastions that count as internal */
  internalNet(prng: Prng): string {
    const c = this.internal++;
    return prng.chance(0.5)
      ? `10.${100 + ((c >> 8) & 3)}.${c & 255}.0/24`
      : `192.168.${101 + (c % 150)}.0/24`;
  }

  /** 172.24.0.0/13: fresh networks for GlobalNetworkSet updates (never in any set) */
  spareNet(): string {
    const c = this.spare++;
    return `172.${24 + ((c >> 8) & 7)}.${c & 255}.0/24`;
  }
}

interface Node {
  readonly name: string;
  readonly ip: string;
  readonly role: "controlplane" | "worker";
  readonly zone: string;
  readonly pool: "general" | "storage" | "ingress" | "gpu";
  readonly wildcard: boolean;
}

/** Worker pools: most workers are general purpose; storage, ingress and GPU nodes are pools of their own. */
const POOLS: readonly (readonly [Node["pool"], number])[] = [
  ["general", 84],
  ["storage", 8],
  ["ingress", 3],
  ["gpu", 5],
];

function makeNodes(count: number, prng: Prng): Node[] {
  const controlPlanes = count < 10 ? 1 : count < 3000 ? 3 : 5;
  const width = Math.max(4, String(count).length);
  const nodes: Node[] = [];
  for (let i = 0; i < count; i++) {
    const worker = i >= controlPlanes;
    let pool: Node["pool"] = "general";
    if (worker) {
      // The first workers seed every pool, so even a small cluster has one node of each.
      const seeded = ["ingress", "storage", "gpu"] as const;
      const k = i - controlPlanes;
      if (k < seeded.length) pool = seeded[k] as Node["pool"];
      else {
        let x = prng.int(0, 99);
        for (const [name, weight] of POOLS) {
          if (x < weight) {
            pool = name;
            break;
          }
          x -= weight;
        }
      }
    }
    nodes.push({
      name: `node-${pad(i + 1, width)}`,
      ip: nodeIp(i + 1),
      role: worker ? "worker" : "controlplane",
      zone: ZONES[i % ZONES.length] as string,
      pool,
      // ~15% of nodes also carry a `*` HEP (policing lo and host-local traffic), control planes always.
      wildcard: !worker || prng.chance(0.15),
    });
  }
  return nodes;
}

function nodeObject(n: Node): RawObject {
  const labels: Record<string, string> = {
    "kubernetes.io/hostname": n.name,
    "kubernetes.io/os": "linux",
    "topology.kubernetes.io/zone": n.zone,
  };
  if (n.role === "controlplane") {
    labels["node-role.kubernetes.io/controlplane"] = "true";
    labels["node-role.kubernetes.io/etcd"] = "true";
  } else labels["node-role.kubernetes.io/worker"] = "true";
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: n.name, labels },
    status: {
      addresses: [
        { type: "InternalIP", address: n.ip },
        { type: "Hostname", address: n.name },
      ],
    },
  };
}

/** The labels host policies select on: the role, the zone, the host name, feature flags. */
function hepLabels(n: Node): Record<string, string> {
  const labels: Record<string, string> = {
    "kubernetes-host": "",
    "node-role": n.role,
    zone: n.zone,
    hostname: n.name,
  };
  if (n.pool !== "general") labels[n.pool] = "true";
  return labels;
}

function hepObjects(n: Node): RawObject[] {
  const ports = [
    { name: "node-exporter", port: 9100, protocol: "TCP" },
    { name: "kubelet", port: 10250, protocol: "TCP" },
    ...(n.pool === "ingress" ? [{ name: "https-ingress", port: 443, protocol: "TCP" }] : []),
  ];
  const named: RawObject = {
    apiVersion: V3,
    kind: "HostEndpoint",
    metadata: { name: `${n.name}-eth0`, labels: hepLabels(n) },
    spec: { node: n.name, interfaceName: "eth0", expectedIPs: [n.ip], ports },
  };
  if (!n.wildcard) return [named];
  const wildcard: RawObject = {
    apiVersion: V3,
    kind: "HostEndpoint",
    metadata: { name: `${n.name}-all`, labels: hepLabels(n) },
    spec: { node: n.name, interfaceName: "*", expectedIPs: [n.ip], ports },
  };
  return [named, wildcard];
}

interface SetPlan {
  readonly internal: number;
  readonly monitoring: number;
  readonly blocklist: number;
  readonly storage: number;
  readonly partner: number;
}

function planSets(k: number): SetPlan {
  const internal = Math.max(1, Math.round(k * 0.1));
  const monitoring = Math.max(1, Math.round(k * 0.1));
  const blocklist = Math.max(1, Math.round(k * 0.05));
  const storage = 1;
  return {
    internal,
    monitoring,
    blocklist,
    storage,
    partner: k - internal - monitoring - blocklist - storage,
  };
}

function gns(name: string, labels: Record<string, string>, nets: string[]): RawObject {
  return { apiVersion: V3, kind: "GlobalNetworkSet", metadata: { name, labels }, spec: { nets } };
}

function networkSets(k: number, prng: Prng, pools: AddressPools): RawObject[] {
  const plan = planSets(k);
  const out: RawObject[] = [];
  const team = () => `team-${prng.int(0, TEAMS - 1)}`;
  const env = () => (prng.chance(0.7) ? "prod" : "staging");
  // The runbook's set of internal networks, then VPNs and bastions that are internal too.
  out.push(gns("allow-ips", { role: "internal-net" }, ["192.168.100.0/24", "10.10.0.5", "10.10.8.0/21"]));
  for (let i = 1; i < plan.internal; i++) {
    const nets = Array.from({ length: prng.int(1, 3) }, () => pools.internalNet(prng));
    out.push(gns(`internal-vpn-${i}`, { role: "internal-net", env: env() }, nets));
  }
  for (let i = 0; i < plan.monitoring; i++) {
    const nets = Array.from({ length: prng.int(1, 4) }, () => pools.monitoringNet(prng));
    out.push(gns(`monitoring-${i}`, { role: "monitoring", team: team(), env: env() }, nets));
  }
  for (let i = 0; i < plan.blocklist; i++) {
    const nets = Array.from({ length: prng.int(2, 6) }, () => pools.blockedNet(prng));
    out.push(gns(`blocklist-${i}`, { role: "blocklist" }, nets));
  }
  out.push(gns("storage-net", { role: "storage-net" }, ["10.99.0.0/16", "10.98.4.0/24"]));
  for (let i = 0; i < plan.partner; i++) {
    const nets = Array.from({ length: prng.int(1, 5) }, () => pools.partnerNet(prng));
    // Some partners also hold an IPv6 range; every tenth set is an aggregate over its neighbours.
    if (prng.chance(0.1)) nets.push(`fd00:${(0x100 + i).toString(16)}::/48`);
    if (i % 10 === 9) nets.push(`100.${64 + ((i >> 8) & 63)}.0.0/16`);
    out.push(gns(`partner-${i}`, { role: "partner", team: team(), env: env() }, nets));
  }
  return out;
}

interface PolicyPlan {
  readonly tier: number;
  readonly doNotTrack: number;
  readonly preDnat: number;
  readonly perNode: number;
  readonly perRole: number;
}

function planPolicies(m: number): PolicyPlan {
  const tier = m >= 50 ? 5 : 3;
  const doNotTrack = Math.max(1, Math.round(m * 0.02));
  const preDnat = Math.max(1, Math.round(m * 0.12));
  const perNode = Math.max(1, Math.min(10, Math.round(m * 0.01)));
  const perRole = m - 2 - tier - doNotTrack - preDnat - perNode;
  return { tier, doNotTrack, preDnat, perNode, perRole };
}

function gnp(name: string, spec: Record<string, unknown>, labels?: Record<string, string>): RawObject {
  return {
    apiVersion: V3,
    kind: "GlobalNetworkPolicy",
    metadata: { name, ...(labels && { labels }) },
    spec,
  };
}

/** Host selectors by weight: most policies select many nodes by role, zone or feature label. */
const HOST_SELECTORS: readonly (readonly [string, number])[] = [
  ["has(kubernetes-host)", 22],
  ["node-role == 'worker'", 22],
  ["node-role == 'worker' && zone == 'zone-a'", 5],
  ["node-role == 'worker' && zone == 'zone-b'", 5],
  ["node-role == 'worker' && zone == 'zone-c'", 5],
  ["zone == 'zone-b'", 5],
  ["zone in {'zone-a', 'zone-c'}", 5],
  ["node-role == 'controlplane'", 8],
  ["storage == 'true'", 6],
  ["ingress == 'true'", 6],
  ["gpu == 'true' && node-role == 'worker'", 5],
  ["has(kubernetes-host) && !has(gpu)", 6],
];
const HOST_WEIGHT = HOST_SELECTORS.reduce((sum, [, w]) => sum + w, 0);

function hostSelector(prng: Prng): string {
  let x = prng.int(0, HOST_WEIGHT - 1);
  for (const [selector, weight] of HOST_SELECTORS) {
    if (x < weight) return selector;
    x -= weight;
  }
  return "has(kubernetes-host)";
}

function setSelector(prng: Prng): string {
  const t = () => `team-${prng.int(0, TEAMS - 1)}`;
  switch (prng.int(0, 5)) {
    case 0:
      return "role == 'monitoring'";
    case 1:
      return `team == '${t()}'`;
    case 2:
      return `role == 'partner' && env == 'prod'`;
    case 3:
      return `team in {'${t()}', '${t()}'}`;
    case 4:
      return `role == 'partner' && team == '${t()}'`;
    default:
      return "has(kubernetes-host)";
  }
}

function appPorts(prng: Prng, named: boolean): (number | string)[] {
  const ports: (number | string)[] = [];
  const count = prng.int(1, 4);
  for (let i = 0; i < count; i++) {
    const r = prng.next();
    if (named && r < 0.15) ports.push(prng.pick(["node-exporter", "kubelet"]));
    else if (r < 0.3) {
      const lo = prng.int(7000, 9800);
      ports.push(`${lo}:${lo + prng.int(1, 99)}`);
    } else ports.push(prng.int(7000, 9999));
  }
  return [...new Set(ports)];
}

/** A `source` that names networks: a selector over sets, CIDRs, or CIDRs with holes (notNets). */
function source(prng: Prng, pools: AddressPools): Record<string, unknown> {
  const r = prng.next();
  if (r < 0.55) return { selector: setSelector(prng) };
  if (r < 0.8) return { nets: Array.from({ length: prng.int(1, 3) }, () => pools.monitoringNet(prng)) };
  if (r < 0.9) {
    const c = prng.int(0, 63);
    return { nets: [`100.${64 + c}.0.0/16`], notNets: [`100.${64 + c}.${prng.int(0, 255)}.0/24`] };
  }
  return { selector: setSelector(prng), notSelector: "role == 'blocklist'" };
}

function ingressRule(prng: Prng, pools: AddressPools, named: boolean): Record<string, unknown> {
  const r = prng.next();
  if (r < 0.7) {
    return {
      action: "Allow",
      protocol: "TCP",
      source: source(prng, pools),
      destination: { ports: appPorts(prng, named) },
    };
  }
  if (r < 0.8) {
    return {
      action: "Allow",
      protocol: "UDP",
      source: source(prng, pools),
      destination: { ports: [prng.int(5000, 6999)] },
    };
  }
  if (r < 0.9) return { action: "Deny", source: { selector: "role == 'blocklist'" } };
  return {
    action: "Allow",
    protocol: "ICMP",
    icmp: { type: 8 },
    source: { selector: "role == 'monitoring'" },
  };
}

function egressRule(prng: Prng, pools: AddressPools): Record<string, unknown> {
  const r = prng.next();
  if (r < 0.5) {
    return {
      action: "Allow",
      protocol: "TCP",
      destination: { selector: setSelector(prng), ports: [prng.pick([443, 5432, 6379, 8443, 9092])] },
    };
  }
  if (r < 0.8) {
    return {
      action: "Allow",
      protocol: "UDP",
      destination: { nets: [pools.monitoringNet(prng)], ports: [53, 123] },
    };
  }
  return { action: "Deny", destination: { selector: "role == 'blocklist'" } };
}

/** The Rancher runbook's two policies (examples/cluster/calico.yaml). */
function rancherPolicies(): RawObject[] {
  return [
    gnp("allow-outbound-external", {
      selector: "has(kubernetes-host)",
      order: 10,
      egress: [{ action: "Allow" }],
    }),
    gnp("allow-inbound-cluster-internal", {
      selector: "has(kubernetes-host)",
      order: 10,
      preDNAT: true,
      applyOnForward: true,
      ingress: [
        {
          action: "Allow",
          protocol: "TCP",
          source: { selector: RANCHER_SOURCES },
          destination: { ports: [...RANCHER_TCP] },
        },
        {
          action: "Allow",
          protocol: "UDP",
          source: { selector: RANCHER_SOURCES },
          destination: { ports: [...RANCHER_UDP] },
        },
        { action: "Allow", protocol: "ICMP", source: { selector: RANCHER_SOURCES } },
      ],
    }),
  ];
}

/** The security team's tier: deny lists and Pass for the rest (default action Pass). */
function tierObjects(count: number): RawObject[] {
  const tier: RawObject = {
    apiVersion: V3,
    kind: "Tier",
    metadata: { name: "security" },
    spec: { order: 100, defaultAction: "Pass" },
  };
  const inTier = (name: string, spec: Record<string, unknown>) =>
    gnp(`security.${name}`, { tier: "security", selector: "has(kubernetes-host)", ...spec });
  const all = [
    inTier("deny-blocklist", {
      order: 10,
      ingress: [{ action: "Deny", source: { selector: "role == 'blocklist'" } }],
      egress: [{ action: "Deny", destination: { selector: "role == 'blocklist'" } }],
    }),
    inTier("pass-internal", {
      order: 20,
      ingress: [{ action: "Pass", source: { selector: RANCHER_SOURCES } }],
    }),
    inTier("deny-legacy-protocols", {
      order: 30,
      ingress: [
        { action: "Deny", protocol: "TCP", destination: { ports: [23, "512:514"] } },
        { action: "Deny", protocol: "UDP", destination: { ports: [69] } },
      ],
    }),
    inTier("allow-monitoring", {
      order: 40,
      ingress: [
        {
          action: "Allow",
          protocol: "TCP",
          source: { selector: "role == 'monitoring'" },
          destination: { ports: ["node-exporter", 9100] },
        },
      ],
    }),
    inTier("deny-external-ssh", {
      order: 50,
      ingress: [
        {
          action: "Deny",
          protocol: "TCP",
          source: { nets: ["0.0.0.0/0"], notSelector: RANCHER_SOURCES },
          destination: { ports: [22] },
        },
      ],
    }),
  ];
  return [tier, ...all.slice(0, count)];
}

export function generateCluster(spec: ClusterSpec): GeneratedCluster {
  if (
    spec.nodes < MIN_SPEC.nodes ||
    spec.policies < MIN_SPEC.policies ||
    spec.networkSets < MIN_SPEC.networkSets
  ) {
    throw new Error(
      `cluster too small: at least ${MIN_SPEC.nodes} nodes, ${MIN_SPEC.policies} policies, ${MIN_SPEC.networkSets} network sets`,
    );
  }
  const prng = new Prng(spec.seed);
  const pools = new AddressPools();
  const nodes = makeNodes(spec.nodes, prng);
  const objects: RawObject[] = [];
  const redundantHeps: RawObject[] = [];
  const soleHeps: RawObject[] = [];

  for (const n of nodes) objects.push(nodeObject(n));
  for (const n of nodes) {
    const heps = hepObjects(n);
    objects.push(...heps);
    if (heps.length > 1) redundantHeps.push(...heps);
    else soleHeps.push(...heps);
  }

  const sets = networkSets(spec.networkSets, prng, pools);
  objects.push(...sets);

  const plan = planPolicies(spec.policies);
  objects.push(...rancherPolicies(), ...tierObjects(plan.tier));

  for (let i = 0; i < plan.doNotTrack; i++) {
    const storage = i % 2 === 0;
    objects.push(
      gnp(`untracked-${storage ? "storage" : "rdma"}-${i}`, {
        selector: storage ? "storage == 'true'" : "gpu == 'true'",
        order: 50 + i,
        doNotTrack: true,
        applyOnForward: true,
        ingress: [
          {
            action: "Allow",
            protocol: storage ? "TCP" : "UDP",
            source: { selector: "role == 'storage-net'" },
            destination: { ports: storage ? [2049, 3260] : [4791] },
          },
        ],
        egress: [
          {
            action: "Allow",
            protocol: storage ? "TCP" : "UDP",
            source: { ports: storage ? [2049, 3260] : [4791] },
            destination: { selector: "role == 'storage-net'" },
          },
        ],
      }),
    );
  }

  for (let i = 0; i < plan.preDnat; i++) {
    const r = prng.next();
    const rules: Record<string, unknown>[] =
      r < 0.2
        ? [{ action: "Deny", source: { selector: "role == 'blocklist'" } }]
        : r < 0.6
          ? [
              {
                action: "Allow",
                protocol: "TCP",
                source: source(prng, pools),
                destination: { ports: [`${31000 + 10 * (i % 100)}:${31009 + 10 * (i % 100)}`] },
              },
            ]
          : Array.from({ length: prng.int(1, 3) }, () => ({
              action: "Allow",
              protocol: "TCP",
              source: source(prng, pools),
              destination: { ports: prng.chance(0.5) ? [80, 443] : appPorts(prng, false) },
            }));
    objects.push(
      gnp(`prednat-allow-${i}`, {
        selector: prng.chance(0.3) ? "ingress == 'true'" : hostSelector(prng),
        order: prng.int(20, 90),
        preDNAT: true,
        applyOnForward: true,
        ingress: rules,
      }),
    );
  }

  const nonCritical: RawObject[] = [];
  const workers = nodes.filter((n) => n.role === "worker");
  for (let i = 0; i < plan.perNode; i++) {
    const n = prng.pick(workers);
    const policy = gnp(`host-${n.name}-extra-${i}`, {
      selector: `hostname == '${n.name}'`,
      order: prng.int(200, 400),
      ingress: [ingressRule(prng, pools, true)],
    });
    objects.push(policy);
    nonCritical.push(policy);
  }

  for (let i = 0; i < plan.perRole; i++) {
    const ingress = Array.from({ length: prng.int(1, 4) }, () => ingressRule(prng, pools, true));
    const egress = prng.chance(0.3)
      ? Array.from({ length: prng.int(1, 2) }, () => egressRule(prng, pools))
      : [];
    const policy = gnp(
      `app-team-${i % TEAMS}-${i}`,
      {
        selector: hostSelector(prng),
        order: prng.int(100, 1000),
        ingress,
        ...(egress.length > 0 && { egress }),
      },
      { team: `team-${i % TEAMS}` },
    );
    objects.push(policy);
    nonCritical.push(policy);
  }

  const felixDefault: RawObject = {
    apiVersion: V3,
    kind: "FelixConfiguration",
    metadata: { name: "default" },
    spec: {
      defaultEndpointToHostAction: "Accept",
      logSeverityScreen: "Info",
      prometheusMetricsEnabled: true,
      failsafeInboundHostPorts: FAILSAFE_IN,
      failsafeOutboundHostPorts: FAILSAFE_OUT,
    },
  };
  objects.push(felixDefault);
  const perNodeFelix = Math.min(5, Math.max(1, Math.round(spec.nodes / 200)));
  for (const n of nodes.slice(0, perNodeFelix)) {
    objects.push({
      apiVersion: V3,
      kind: "FelixConfiguration",
      metadata: { name: `node.${n.name}` },
      spec:
        n.role === "controlplane"
          ? { failsafeInboundHostPorts: [...FAILSAFE_IN, { protocol: "TCP", port: 10250 }] }
          : { logSeverityScreen: "Debug" },
    });
  }

  const counts: Record<string, number> = {};
  for (const o of objects) counts[o.kind] = (counts[o.kind] ?? 0) + 1;
  return {
    spec,
    objects,
    counts,
    refs: {
      nonCriticalPolicies: nonCritical,
      redundantHeps,
      soleHeps,
      networkSets: sets,
      felixDefault,
      allowPolicy: objects.find((o) => o.metadata.name === "allow-inbound-cluster-internal")!,
    },
  };
}

/** A fresh network for a GlobalNetworkSet update: in no set, no rule, no node. */
export function spareNetworks(count: number): string[] {
  const pools = new AddressPools();
  return Array.from({ length: count }, () => pools.spareNet());
}

export { FAILSAFE_IN };
