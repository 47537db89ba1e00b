/**
 * `hostguard audit --output policyreport`: the current findings as a ClusterPolicyReport, the
 * report format of the Kubernetes Policy WG that Policy Reporter and similar dashboards read.
 *
 * Schema: wgpolicyk8s.io/v1alpha2, kubernetes-sigs/wg-policy-prototypes,
 * policy-report/apis/wgpolicyk8s.io/v1alpha2/policyreport_types.go and
 * policy-report/crd/v1alpha2/wgpolicyk8s.io_clusterpolicyreports.yaml: `results[]` with `policy`
 * (required), `rule`, `result` (pass|fail|warn|error|skip), `severity` (only high|medium|low are
 * in every published v1alpha2 CRD, so only those are used), `category`, `message`, `resources`
 * (core/v1 ObjectReferences), `properties` (string map), `source`, `timestamp` (a protobuf
 * Timestamp: `{seconds, nanos}`, both required), and `summary` with pass/fail/warn/error/skip.
 */
import type { Finding } from "../checks/finding.js";

export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
}

export interface PolicyReportResult {
  readonly source: "hostguard";
  readonly policy: string;
  readonly rule: string;
  readonly category: string;
  readonly result: "fail" | "warn";
  readonly severity: "high" | "low";
  readonly message: string;
  readonly resources: readonly ObjectRef[];
  readonly properties?: Readonly<Record<string, string>>;
  readonly timestamp: { readonly seconds: number; readonly nanos: number };
}

export interface ClusterPolicyReport {
  readonly apiVersion: "wgpolicyk8s.io/v1alpha2";
  readonly kind: "ClusterPolicyReport";
  readonly metadata: { readonly name: string; readonly labels: Readonly<Record<string, string>> };
  readonly summary: { pass: number; fail: number; warn: number; error: number; skip: number };
  readonly results: readonly PolicyReportResult[];
}

const CALICO = "projectcalico.org/v3";
const node = (name: string): ObjectRef => ({ apiVersion: "v1", kind: "Node", name });

/** The objects a finding is about: its nodes, and the Calico object when the finding names one. */
function resourcesOf(f: Finding): ObjectRef[] {
  const refs: ObjectRef[] = [];
  // An orphan HostEndpoint (its node does not exist) and an invalid object are named only in the key.
  const orphan = /^node-coverage:orphan:(.+)$/.exec(f.key);
  const invalid = /^calico-valid:([^:]+):([^:]*):/.exec(f.key);
  if (orphan) refs.push({ apiVersion: CALICO, kind: "HostEndpoint", name: orphan[1] ?? "" });
  else if (invalid?.[2]) refs.push({ apiVersion: CALICO, kind: invalid[1] ?? "", name: invalid[2] });
  else if (f.node !== undefined) refs.push(node(f.node));
  // required-ports: the source when it is a node (not a CIDR), the destination nodes, the policy that drops it
  if (f.from !== undefined && !f.from.includes("/")) refs.push(node(f.from));
  for (const to of f.to ?? []) refs.push(node(to));
  if (f.droppedBy?.policy !== undefined)
    refs.push({ apiVersion: CALICO, kind: "GlobalNetworkPolicy", name: f.droppedBy.policy });
  return [...new Map(refs.map((r) => [`${r.kind}/${r.name}`, r])).values()];
}

function propertiesOf(f: Finding): Record<string, string> | undefined {
  const props: Record<string, string> = {};
  for (const key of ["requirement", "protocol", "ports", "from", "path", "direction", "field"] as const) {
    const value = f[key];
    if (value !== undefined) props[key] = value;
  }
  return Object.keys(props).length > 0 ? props : undefined;
}

/** One result per finding: `fail` for a violation, `warn` for an advisory. */
export function policyReport(findings: readonly Finding[], now: Date): ClusterPolicyReport {
  const ms = now.getTime();
  const timestamp = { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
  const results = findings.map((f): PolicyReportResult => {
    const properties = propertiesOf(f);
    return {
      source: "hostguard",
      policy: f.check,
      rule: f.requirement ?? f.check,
      category: "Calico host firewall",
      result: f.severity === "violation" ? "fail" : "warn",
      severity: f.severity === "violation" ? "high" : "low",
      message: f.message,
      resources: resourcesOf(f),
      ...(properties !== undefined && { properties }),
      timestamp: { ...timestamp }, // not shared: YAML would print anchors and aliases
    };
  });
  const count = (result: string) => results.filter((r) => r.result === result).length;
  return {
    apiVersion: "wgpolicyk8s.io/v1alpha2",
    kind: "ClusterPolicyReport",
    metadata: { name: "hostguard", labels: { "app.kubernetes.io/managed-by": "hostguard" } },
    summary: { pass: 0, fail: count("fail"), warn: count("warn"), error: 0, skip: 0 },
    results,
  };
}
