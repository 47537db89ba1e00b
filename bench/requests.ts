/**
 * The writes the benchmark decides: for each change type a pool of distinct requests against one
 * generated cluster, cycled through (so no cache keyed on the request can turn the benchmark into a
 * lookup), and the AdmissionReview body for the HTTPS run.
 */
import { readFileSync } from "node:fs";
import type { DecisionRequest } from "../src/decision/decide.js";
import { spareNetworks, type ClusterRefs, type RawObject } from "./generate.js";
import type { ChangeType } from "./protocol.js";

const POOL_SIZE = 64;

const ADMIN = { username: "admin", groups: ["system:masters", "system:authenticated"] } as const;

export interface BenchRequest {
  readonly request: DecisionRequest;
  readonly expectAllowed: boolean;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function update(kind: string, before: RawObject, after: RawObject): DecisionRequest {
  return {
    operation: "UPDATE",
    kind,
    name: after.metadata.name,
    object: after,
    oldObject: before,
    user: ADMIN,
  };
}

function remove(kind: string, before: RawObject): DecisionRequest {
  return { operation: "DELETE", kind, name: before.metadata.name, oldObject: before, user: ADMIN };
}

type Rule = { action?: string; protocol?: string; destination?: { ports?: (number | string)[] } };

/** A non-critical policy with its order moved, or with a port added (to a TCP rule, else a new rule). */
export function changedPolicy(policy: RawObject, variant: number): RawObject {
  const next = clone(policy);
  const spec = next.spec as { order?: number; ingress?: Rule[] };
  if (variant % 2 === 0) {
    spec.order = (spec.order ?? 1000) + 1 + (variant % 17);
    return next;
  }
  const port = 9900 + (variant % 90);
  const rule = spec.ingress?.find((r) => r.protocol === "TCP" && r.destination?.ports);
  if (rule?.destination?.ports) rule.destination.ports.push(port);
  else {
    spec.ingress = [
      ...(spec.ingress ?? []),
      { action: "Allow", protocol: "TCP", destination: { ports: [port] } },
    ];
  }
  return next;
}

const EXTRA_FAILSAFE = [
  { protocol: "TCP", port: 9100 },
  { protocol: "TCP", port: 10250 },
  { protocol: "TCP", port: 10256 },
  { protocol: "TCP", port: 9099 },
  { protocol: "UDP", port: 4789 },
  { protocol: "TCP", port: 8443 },
  { protocol: "UDP", port: 51820 },
  { protocol: "TCP", port: 9796 },
];

function pool<T>(source: readonly T[], make: (item: T, i: number) => BenchRequest): BenchRequest[] {
  if (source.length === 0) return [];
  return Array.from({ length: POOL_SIZE }, (_, i) => make(source[(i * 7) % source.length] as T, i));
}

/** Request pools per change type. Every pool is non-empty for a cluster from generateCluster. */
export function requestPools(refs: ClusterRefs): Record<ChangeType, BenchRequest[]> {
  const spare = spareNetworks(POOL_SIZE);
  return {
    gnpUpdate: pool(refs.nonCriticalPolicies, (p, i) => ({
      request: update("GlobalNetworkPolicy", p, changedPolicy(p, i)),
      expectAllowed: true,
    })),
    hepDelete: pool(refs.redundantHeps, (hep) => ({
      request: remove("HostEndpoint", hep),
      expectAllowed: true,
    })),
    hepDeleteDenied: pool(refs.soleHeps, (hep) => ({
      request: remove("HostEndpoint", hep),
      expectAllowed: false,
    })),
    gnsUpdate: pool(refs.networkSets, (set, i) => {
      const next = clone(set);
      (next.spec as { nets: string[] }).nets.push(spare[i] as string);
      return { request: update("GlobalNetworkSet", set, next), expectAllowed: true };
    }),
    felixUpdate: pool([refs.felixDefault], (fc, i) => {
      const next = clone(fc);
      const spec = next.spec as { failsafeInboundHostPorts: unknown[] };
      spec.failsafeInboundHostPorts.push(EXTRA_FAILSAFE[i % EXTRA_FAILSAFE.length]);
      return { request: update("FelixConfiguration", fc, next), expectAllowed: true };
    }),
    // The runbook's own lock-out: a required port no failsafe list keeps, removed from the allow list.
    lockoutPortDropped: pool([refs.allowPolicy], (policy, i) => {
      const next = clone(policy);
      const port = LOCKOUT_PORTS[i % LOCKOUT_PORTS.length];
      const rule = (next.spec as { ingress: Rule[] }).ingress[0]!;
      rule.destination!.ports = rule.destination!.ports!.filter((p) => p !== port);
      return { request: update("GlobalNetworkPolicy", policy, next), expectAllowed: false };
    }),
    lockoutPolicyDeleted: pool([refs.allowPolicy], (policy) => ({
      request: remove("GlobalNetworkPolicy", policy),
      expectAllowed: false,
    })),
  };
}

/** Required TCP ports of the rancher profile that Felix's default failsafe lists do not keep open. */
const LOCKOUT_PORTS = [10250, 80, 443, 2376, 9099, 10254];

/** bench/fixtures, from the sources or from the compiled benchmark (dist-bench/bench/). */
export const FIXTURE_FILE = new URL(
  `${import.meta.url.endsWith(".js") ? "../../bench/" : "./"}fixtures/globalnetworkpolicy-update-merge-patch.json`,
  import.meta.url,
);

type Review = {
  request: {
    uid: string;
    name: string;
    dryRun: boolean;
    object: { metadata: Record<string, unknown>; spec: unknown };
    oldObject: { metadata: Record<string, unknown>; spec: unknown };
  };
};

/**
 * The captured `kubectl patch` of a GlobalNetworkPolicy's order (a real API server's
 * AdmissionReview, crd.projectcalico.org/v1), rewritten to target a non-critical policy of the
 * generated cluster. Sent as a server-side dry run: the webhook decides it exactly like the write,
 * but does not overlay it on the state, so every request is decided against the same state, as the
 * in-process figures are.
 */
export function reviewBody(refs: ClusterRefs): string {
  const review = JSON.parse(readFileSync(FIXTURE_FILE, "utf8")) as Review;
  const policy = refs.nonCriticalPolicies[0];
  if (!policy) throw new Error("the cluster has no non-critical policy to update");
  const after = changedPolicy(policy, 0);
  const r = review.request;
  r.name = policy.metadata.name;
  r.dryRun = true;
  for (const [target, source] of [
    [r.object, after],
    [r.oldObject, policy],
  ] as const) {
    target.metadata.name = source.metadata.name;
    if (source.metadata.labels) target.metadata.labels = { ...source.metadata.labels };
    target.spec = clone(source.spec);
  }
  return JSON.stringify(review);
}
