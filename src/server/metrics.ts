import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { GUARDED_KINDS } from "../decision/decide.js";

/** Every metric the guard exports, on its own registry (several apps can live in one process in tests). */
export interface Metrics {
  readonly registry: Registry;
  readonly decisions: Counter<"kind" | "operation" | "result">;
  readonly duration: Histogram<"kind">;
  readonly findings: Counter<"check" | "category">;
  readonly configReloadFailures: Counter;
  readonly deadlines: Counter;
  readonly tlsReloadFailures: Counter;
}

export interface MetricsSources {
  /** seconds since the state last matched the API server */
  readonly stateAgeSeconds: () => number;
  readonly stateSynced: () => boolean;
  /** nodes whose address no HostEndpoint covers, at scrape time */
  readonly nodesWithoutHostEndpoint: () => number;
  /** 1 while the config file on disk is invalid or unreadable (the previous config, if any, in force) */
  readonly configReloadFailing?: () => boolean;
  /** lock-out checks (required-ports, failsafe-ports, node-coverage) the config in force turns off */
  readonly checksOff?: () => number;
  /** expiry of the serving certificate in force, seconds since the epoch */
  readonly certificateExpiry?: () => number | undefined;
  /** the audit sink's file failures so far (a monotonic count) */
  readonly auditWriteFailures?: () => number;
  /** true while audit records go to stderr instead of the file */
  readonly auditFallback?: () => boolean;
}

/** A counter whose value is read from a monotonic count kept elsewhere, at scrape time. */
function mirroredCounter(registry: Registry, name: string, help: string, count: () => number): void {
  let exported = 0;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const now = count();
      if (now > exported) {
        this.inc(now - exported);
        exported = now;
      }
    },
  });
}

function gauge(registry: Registry, name: string, help: string, value: () => number | undefined): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      const v = value();
      if (v === undefined) this.reset();
      else this.set(v);
    },
  });
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
  // Zero-valued error series, so that the first error is an increase Prometheus can see.
  for (const kind of GUARDED_KINDS)
    for (const operation of ["CREATE", "UPDATE", "DELETE"])
      decisions.inc({ kind, operation, result: "error" }, 0);
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
  const tlsReloadFailures = new Counter({
    name: "hostguard_tls_reload_failures_total",
    help: "Certificate reloads that failed (bad pair, unreadable client CA); the previous certificate stays in force.",
    registers: [registry],
  });
  gauge(
    registry,
    "hostguard_config_reload_failing",
    "1 while the config file is invalid or unreadable and the previous config (if any) stays in force.",
    () => (sources.configReloadFailing?.() ? 1 : 0),
  );
  gauge(
    registry,
    "hostguard_config_checks_off",
    "Lock-out checks (required-ports, failsafe-ports, node-coverage) the config in force turns off; 3 = all.",
    () => sources.checksOff?.() ?? 0,
  );
  gauge(
    registry,
    "hostguard_tls_certificate_expiry_timestamp_seconds",
    "When the serving certificate in force expires, in seconds since the epoch.",
    () => sources.certificateExpiry?.(),
  );
  mirroredCounter(
    registry,
    "hostguard_audit_write_failures_total",
    "Failures of the audit file (open, write, rotation, failed retries); records then go to stderr.",
    () => sources.auditWriteFailures?.() ?? 0,
  );
  gauge(
    registry,
    "hostguard_audit_fallback_active",
    "1 while audit records go to stderr because the audit file cannot be written.",
    () => (sources.auditFallback?.() ? 1 : 0),
  );
  gauge(
    registry,
    "hostguard_state_age_seconds",
    "Seconds since the cluster state was last known to match the API server (0 = in sync).",
    sources.stateAgeSeconds,
  );
  gauge(registry, "hostguard_state_synced", "1 when every informer has listed its kind, else 0.", () =>
    sources.stateSynced() ? 1 : 0,
  );
  gauge(
    registry,
    "hostguard_nodes_without_hostendpoint",
    "Nodes with an InternalIP that no HostEndpoint governs and lists in expectedIPs.",
    sources.nodesWithoutHostEndpoint,
  );
  return { registry, decisions, duration, findings, configReloadFailures, deadlines, tlsReloadFailures };
}
