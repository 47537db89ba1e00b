/**
 * A generated audit log whose distribution is fixed by construction (quotas shuffled by a seeded
 * PRNG), so tests can assert exact summary numbers without recomputing them the way review does.
 */
import type { AuditFinding, AuditOutcome, AuditRecord } from "../../src/audit/record.js";

export const T0 = Date.parse("2024-05-01T00:00:00.000Z");
export const STEP_MS = 30_000;
export const TOTAL = 400;
/** one step after the last record: `--since 1h` from here starts at record 280 */
export const NOW = new Date(T0 + TOTAL * STEP_MS);

export const DECISION_QUOTA: Readonly<Record<AuditOutcome, number>> = {
  allowed: 200,
  denied: 120,
  overridden: 30,
  warned: 50,
};
export const DENIED_USER_QUOTA = { alice: 60, bob: 35, carol: 25 } as const;
export const DENIED_OBJECT_QUOTA = {
  "GlobalNetworkPolicy/allow-cluster-internal": 55,
  "HostEndpoint/node-2": 35,
  "FelixConfiguration/default": 20,
  "GlobalNetworkSet/internal": 10,
} as const;
const OTHER_OBJECTS = [
  "GlobalNetworkPolicy/allow-egress",
  "HostEndpoint/node-1",
  "GlobalNetworkSet/external",
  "Tier/security",
  "FelixConfiguration/default",
];
const OTHER_USERS = ["alice", "bob", "dave", "ci-bot"];
const OVERRIDE_USERS = ["oncall-1", "oncall-2"];

/** What the generator decided for record `index`: the oracle the tests count on. */
export interface Planned {
  readonly index: number;
  readonly decision: AuditOutcome;
  readonly user: string;
  readonly kind: string;
  readonly name: string;
  readonly dryRun: boolean;
}

/** mulberry32: small, seedable, good enough to shuffle test data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function expand(quota: Readonly<Record<string, number>>): string[] {
  return Object.entries(quota).flatMap(([key, n]) => Array.from({ length: n }, () => key));
}

const rp = (protocol: string, ports: string, from: string): AuditFinding => ({
  check: "required-ports",
  requirement: "rancher",
  protocol,
  ports,
  from,
  to: ["node-1", "node-3"],
  message: `${protocol} ${ports} from ${from} is dropped`,
});
const failsafe = (node: string): AuditFinding => ({
  check: "failsafe-ports",
  protocol: "TCP",
  ports: "22",
  node,
  message: `failsafeInboundHostPorts on ${node} lacks tcp:22`,
});
const coverage = (node: string): AuditFinding => ({
  check: "node-coverage",
  node,
  message: `${node} has no HostEndpoint`,
});

/**
 * Violations per denied object. The policy's two findings share one label (different sources), so
 * a decision must count once per label, not per finding.
 */
const DENIED_VIOLATIONS: Readonly<Record<string, readonly AuditFinding[]>> = {
  "GlobalNetworkPolicy/allow-cluster-internal": [
    rp("TCP", "10250", "node-1"),
    rp("TCP", "10250", "node-2"),
    rp("TCP", "6443", "node-2"),
  ],
  "HostEndpoint/node-2": [coverage("node-2")],
  "FelixConfiguration/default": [failsafe("node-1")],
  "GlobalNetworkSet/internal": [rp("TCP", "10250", "10.0.0.0/8")],
};

/** Expected `topViolations`, from the quotas above (warned: every other one carries failsafe TCP 22). */
export const EXPECTED_TOP_VIOLATIONS = [
  { violation: "required-ports rancher TCP 10250", count: 55 + 10, denied: 55 + 10 },
  { violation: "required-ports rancher TCP 6443", count: 55, denied: 55 },
  { violation: "failsafe-ports TCP 22", count: 20 + 25, denied: 20 },
  { violation: "node-coverage node-2", count: 35, denied: 35 },
  { violation: "required-ports rancher UDP 8472", count: 30, denied: 0 },
];

export interface GeneratedLog {
  readonly records: AuditRecord[];
  readonly plan: Planned[];
}

export function generateLog(seed = 42): GeneratedLog {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const decisions = shuffled(expand(DECISION_QUOTA), random) as AuditOutcome[];
  const deniedUsers = shuffled(expand(DENIED_USER_QUOTA), random);
  const deniedObjects = shuffled(expand(DENIED_OBJECT_QUOTA), random);
  let warnedSeen = 0;
  let overrideSeen = 0;
  const records: AuditRecord[] = [];
  const plan: Planned[] = [];
  decisions.forEach((decision, index) => {
    const dryRun = index % 10 === 0;
    let user: string;
    let object: string;
    let violations: readonly AuditFinding[] = [];
    let warnings: string[] = [];
    let overridden: AuditRecord["overridden"];
    if (decision === "denied") {
      user = deniedUsers.pop()!;
      object = deniedObjects.pop()!;
      violations = DENIED_VIOLATIONS[object]!;
    } else if (decision === "overridden") {
      user = pick(OVERRIDE_USERS);
      object = pick(OTHER_OBJECTS);
      violations = [rp("UDP", "8472", "node-4")];
      overridden = { reason: `maintenance window #${overrideSeen++}`, user };
      warnings = [`break-glass by ${user}: ${overridden.reason}`];
    } else if (decision === "warned") {
      user = pick(OTHER_USERS);
      object = pick(OTHER_OBJECTS);
      if (warnedSeen++ % 2 === 0) violations = [failsafe("node-3")];
      warnings = ["already: node-coverage node-5 has no HostEndpoint"];
    } else {
      user = pick(OTHER_USERS);
      object = pick(OTHER_OBJECTS);
    }
    const [kind, name] = object.split("/") as [string, string];
    plan.push({ index, decision, user, kind, name, dryRun });
    records.push({
      time: new Date(T0 + index * STEP_MS).toISOString(),
      decisionId: `d-${String(index).padStart(4, "0")}`,
      uid: `uid-${index}`,
      user,
      groups: ["system:authenticated"],
      operation: index % 3 === 0 ? "CREATE" : "UPDATE",
      apiGroup: index % 2 === 0 ? "projectcalico.org" : "crd.projectcalico.org",
      apiVersion: index % 2 === 0 ? "v3" : "v1",
      kind,
      name,
      dryRun,
      mode: decision === "warned" ? "warn" : "enforce",
      allowed: decision !== "denied",
      decision,
      ...(overridden && { overridden }),
      violations,
      warnings,
      fixed: [],
      durationMs: 1 + (index % 7) * 0.25,
    });
  });
  return { records, plan };
}
