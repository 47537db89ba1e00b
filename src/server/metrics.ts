import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** Every metric the guard exports, on its own registry (several apps can live in one process in tests). */
export interface Metrics {
  readonly registry: Registry;
  readonly decisions: Counter<"kind" | "operation" | "result">;
  readonly duration: Histogram<"kind">;
  readonly findings: Counter<"check" | "category">;
  readonly configReloadFailures: Counter;
  readonly deadlines: Counter;
}

export interface MetricsSources {
  /** seconds since the state last matched the API server */
  readonly stateAgeSeconds: () => number;
  readonly stateSynced: () => boolean;
  /** nodes whose address no HostEndpoint covers, at scrape time */
  readonly nodesWithoutHostEndpoint: () => number;
}

export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "hostguard_" });
  const decisions = new Counter({
    name: "hostguard_decisions_total",
    help: "Admission decisions by kind, operation and result (allowed, denied, overridden, warned, error).",
    labelNames: ["kind", "operation", "result"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "hostguard_decision_duration_seconds",
    help: "Time to decide one AdmissionReview, from parsed body to answer.",
    labelNames: ["kind"] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const findings = new Counter({
    name: "hostguard_findings_total",
    help: "Findings reported in decisions, by check and category (violation, pre-existing, fixed).",
    labelNames: ["check", "category"] as const,
    registers: [registry],
  });
  const configReloadFailures = new Counter({
    name: "hostguard_config_reload_failures_total",
    help: "Guard config files that failed to load; the previous config stays in force.",
    registers: [registry],
  });
  const deadlines = new Counter({
    name: "hostguard_decision_deadline_exceeded_total",
    help: "Decisions stopped at their deadline (a share of the API server's ?timeout=) and answered per mode (ADR 0009).",
    registers: [registry],
  });
  new Gauge({
    name: "hostguard_state_age_seconds",
    help: "Seconds since the cluster state was last known to match the API server (0 = in sync).",
    registers: [registry],
    collect() {
      this.set(sources.stateAgeSeconds());
    },
  });
  new Gauge({
    name: "hostguard_state_synced",
    help: "1 when every informer has listed its kind, else 0.",
    registers: [registry],
    collect() {
      this.set(sources.stateSynced() ? 1 : 0);
    },
  });
  new Gauge({
    name: "hostguard_nodes_without_hostendpoint",
    help: "Nodes with an InternalIP that no HostEndpoint governs and lists in expectedIPs.",
    registers: [registry],
    collect() {
      this.set(sources.nodesWithoutHostEndpoint());
    },
  });
  return { registry, decisions, duration, findings, configReloadFailures, deadlines };
}
