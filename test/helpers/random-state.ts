/**
 * Random cluster states for property tests: nodes n1..n3 at 10.0.0.1..3 with named, interface-only
 * and `*` HEPs, GNPs in every stage (untracked, preDNAT, normal, apply-on-forward), tiers with Deny and
 * Pass, Pass/Log rules, GlobalNetworkSets, named ports and failsafe overrides. Every object is valid.
 */
import fc from "fast-check";

export const NODES = ["n1", "n2", "n3"];
export const NODE_IP = (i: number) => `10.0.0.${i + 1}`;
export const EXTERNAL_BASE = "192.168.0.0"; // the external source range: 192.168.0.0/28
export const EXTERNAL_SIZE = 16;
export const PORT_MAX = 24;

const labelMap = fc.dictionary(fc.constantFrom("a", "b", "role"), fc.constantFrom("", "x", "y"), {
  maxKeys: 2,
});
const selector = fc.constantFrom(
  "all()",
  "has(a)",
  "has(b)",
  "role == 'x'",
  "role != 'x'",
  "!has(a)",
  "a == 'y' || has(b)",
);
const smallCidr = fc.oneof(
  fc
    .tuple(fc.integer({ min: 0, max: 15 }), fc.constantFrom(28, 29, 30, 31, 32))
    // Calico's validator wants rule CIDRs strictly masked (validator.go validateIPNetwork): align them.
    .map(([i, p]) => `192.168.0.${i - (i % 2 ** (32 - p))}/${p}`),
  fc.integer({ min: 0, max: 2 }).map((i) => `${NODE_IP(i)}/32`),
);
const portEntry = fc.oneof(
  fc.integer({ min: 1, max: PORT_MAX }),
  fc
    .tuple(fc.integer({ min: 1, max: PORT_MAX }), fc.integer({ min: 0, max: 6 }))
    .map(([a, d]) => `${a}:${Math.min(a + d, PORT_MAX)}`),
  fc.constant("web"),
);

const side = fc.record(
  {
    nets: fc.array(smallCidr, { maxLength: 2 }),
    notNets: fc.array(smallCidr, { maxLength: 1 }),
    selector: selector,
    notSelector: selector,
  },
  { requiredKeys: [] },
);

const rule = fc
  .record({
    action: fc.constantFrom("Allow", "Allow", "Deny", "Pass", "Log"),
    protocol: fc.option(fc.constantFrom("TCP", "UDP"), { nil: undefined }),
    source: side,
    ports: fc.array(portEntry, { maxLength: 3 }),
    notPorts: fc.array(portEntry, { maxLength: 1 }),
  })
  .map(({ action, protocol, source, ports, notPorts }) => {
    const destination: Record<string, unknown> = {};
    if (protocol) {
      if (ports.length > 0) destination.ports = ports;
      if (notPorts.length > 0) destination.notPorts = notPorts;
    }
    return { action, ...(protocol ? { protocol } : {}), source, destination };
  });

const policy = fc.record({
  tier: fc.constantFrom("default", "default", "t1", "t2"),
  order: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
  selector,
  stage: fc.constantFrom("normal", "normal", "aof", "preDNAT", "doNotTrack"),
  ingress: fc.array(rule, { maxLength: 3 }),
  egress: fc.array(rule, { maxLength: 2 }),
  types: fc.constantFrom(["Ingress"], ["Egress"], ["Ingress", "Egress"]),
});

const hep = fc.record({
  kind: fc.constantFrom("named", "named-no-ips", "wildcard", "wildcard-allow", "none"),
  labels: labelMap,
  namedPort: fc.option(fc.integer({ min: 1, max: PORT_MAX }), { nil: undefined }),
});

const failsafe = fc.option(
  fc.array(
    fc.record(
      {
        protocol: fc.constantFrom("TCP", "UDP"),
        port: fc.integer({ min: 1, max: PORT_MAX }),
        net: smallCidr,
      },
      { requiredKeys: ["protocol", "port"] },
    ),
    { maxLength: 3 },
  ),
  { nil: undefined },
);

export const world = fc.record({
  heps: fc.array(fc.array(hep, { minLength: 1, maxLength: 2 }), { minLength: 3, maxLength: 3 }),
  /** real clusters give every node the same kind of HEP: then nodes share classes */
  uniform: fc.boolean(),
  policies: fc.array(policy, { maxLength: 5 }),
  sets: fc.array(fc.record({ labels: labelMap, nets: fc.array(smallCidr, { minLength: 1, maxLength: 2 }) }), {
    maxLength: 2,
  }),
  tiers: fc.record({ t1: fc.constantFrom("Deny", "Pass"), t2: fc.constantFrom("Deny", "Pass") }),
  failsafeIn: failsafe,
  failsafeOut: failsafe,
  nodeOverride: fc.option(failsafe, { nil: undefined }),
});

export type World = typeof world extends fc.Arbitrary<infer T> ? T : never;

export function buildObjects(w: World): unknown[] {
  const objects: unknown[] = NODES.map((name, i) => ({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes-host": "" } },
    status: { addresses: [{ type: "InternalIP", address: NODE_IP(i) }] },
  }));
  const heps = w.uniform ? w.heps.map(() => w.heps[0]!) : w.heps;
  heps.forEach((heps, n) =>
    heps.forEach((h, j) => {
      if (h.kind === "none") return;
      const spec: Record<string, unknown> = { node: NODES[n] };
      if (h.kind === "named") Object.assign(spec, { interfaceName: `eth${j}`, expectedIPs: [NODE_IP(n)] });
      if (h.kind === "named-no-ips") Object.assign(spec, { interfaceName: `eth${j}` });
      if (h.kind.startsWith("wildcard"))
        Object.assign(spec, { interfaceName: "*", expectedIPs: [NODE_IP(n)] });
      if (h.kind === "wildcard-allow") spec.profiles = ["projectcalico-default-allow"];
      if (h.namedPort !== undefined) spec.ports = [{ name: "web", protocol: "TCP", port: h.namedPort }];
      objects.push({
        apiVersion: "projectcalico.org/v3",
        kind: "HostEndpoint",
        metadata: { name: `${NODES[n]}-h${j}`, labels: h.labels },
        spec,
      });
    }),
  );
  w.sets.forEach((s, i) =>
    objects.push({
      apiVersion: "projectcalico.org/v3",
      kind: "GlobalNetworkSet",
      metadata: { name: `set-${i}`, labels: s.labels },
      spec: { nets: s.nets },
    }),
  );
  for (const [name, defaultAction] of Object.entries(w.tiers)) {
    objects.push({
      apiVersion: "projectcalico.org/v3",
      kind: "Tier",
      metadata: { name },
      spec: { order: name === "t1" ? 10 : 20, defaultAction },
    });
  }
  w.policies.forEach((p, i) => {
    const flags =
      p.stage === "preDNAT"
        ? { preDNAT: true, applyOnForward: true }
        : p.stage === "doNotTrack"
          ? { doNotTrack: true, applyOnForward: true }
          : p.stage === "aof"
            ? { applyOnForward: true }
            : {};
    const types = p.stage === "preDNAT" ? ["Ingress"] : p.types;
    const spec: Record<string, unknown> = {
      selector: p.selector,
      tier: p.tier,
      types,
      ingress: p.ingress,
      ...(p.stage === "preDNAT" ? {} : { egress: p.egress }),
      ...flags,
    };
    if (p.order !== undefined) spec.order = p.order;
    const name = p.tier === "default" ? `p${i}` : `${p.tier}.p${i}`;
    objects.push({
      apiVersion: "projectcalico.org/v3",
      kind: "GlobalNetworkPolicy",
      metadata: { name },
      spec,
    });
  });
  const felix: Record<string, unknown> = {};
  if (w.failsafeIn) felix.failsafeInboundHostPorts = w.failsafeIn;
  if (w.failsafeOut) felix.failsafeOutboundHostPorts = w.failsafeOut;
  objects.push({
    apiVersion: "projectcalico.org/v3",
    kind: "FelixConfiguration",
    metadata: { name: "default" },
    spec: felix,
  });
  if (w.nodeOverride) {
    objects.push({
      apiVersion: "projectcalico.org/v3",
      kind: "FelixConfiguration",
      metadata: { name: "node.n2" },
      spec: { failsafeInboundHostPorts: w.nodeOverride },
    });
  }
  return objects;
}
