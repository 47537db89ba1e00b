/**
 * deploy/monitoring: the PrometheusRule's alerts use metrics the server really exports, and the
 * ServiceMonitor reaches the pods' probe port.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { buildKustomization, field, findOne, list, str, type Json } from "./kustomize.js";
import { REPO } from "./workspace.js";

const monitoring = buildKustomization(join(REPO, "deploy", "monitoring"));
const base = buildKustomization(join(REPO, "deploy", "base"));

interface Alert {
  readonly name: string;
  readonly expr: string;
  readonly rule: Json;
}

function alerts(): Alert[] {
  const rule = findOne(monitoring, "PrometheusRule", "hostguard");
  return list(field(rule, "spec", "groups"), "groups").flatMap((g) =>
    list(field(g, "rules"), "rules").map((r) => ({
      name: str(field(r, "alert"), "alert"),
      expr: str(field(r, "expr"), "expr"),
      rule: r,
    })),
  );
}

function alert(name: string): Alert {
  const found = alerts().find((a) => a.name === name);
  assert.ok(found, `alert ${name}`);
  return found;
}

describe("deploy/monitoring", () => {
  test("every alert has an expression, a severity and a summary", () => {
    assert.ok(alerts().length >= 5);
    for (const a of alerts()) {
      assert.ok(
        ["critical", "warning", "info"].includes(str(field(a.rule, "labels", "severity"), "severity")),
        a.name,
      );
      assert.ok(str(field(a.rule, "annotations", "summary"), "summary").length > 0, a.name);
    }
  });

  test("every hostguard_* metric in the rules is one the server registers (src/server/metrics.ts)", () => {
    const source = readFileSync(join(REPO, "src", "server", "metrics.ts"), "utf8");
    const registered = new Set([...source.matchAll(/"(hostguard_[a-z_]+)"/g)].map((m) => m[1]));
    const used = new Set(
      alerts().flatMap((a) =>
        [...a.expr.matchAll(/hostguard_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, "")),
      ),
    );
    assert.ok(used.size >= 5);
    for (const metric of used) assert.ok(registered.has(metric), `${metric} is exported by the server`);
  });

  test("the alerts the runbook promises: webhook errors, denial spike, staleness > 5m, nodes without HEP, config reload", () => {
    const hook = str(
      field(findOne(base, "ValidatingWebhookConfiguration", "hostguard"), "webhooks", 0, "name"),
      "webhook",
    );
    assert.match(
      alert("HostguardWebhookErrors").expr,
      new RegExp(`apiserver_admission_webhook_rejection_count\\{name="${hook.replace(/\./g, "\\.")}"`),
    );
    assert.match(alert("HostguardWebhookErrors").expr, /calling_webhook_error/);
    assert.match(alert("HostguardDecisionErrors").expr, /hostguard_decisions_total\{result="error"\}/);
    assert.match(alert("HostguardDenialsSpike").expr, /hostguard_decisions_total\{result="denied"\}/);
    assert.match(alert("HostguardStateStale").expr, /max\(hostguard_state_age_seconds\) > 300$/);
    assert.match(
      alert("HostguardNodesWithoutHostEndpoint").expr,
      /hostguard_nodes_without_hostendpoint\) > 0$/,
    );
    // a gauge that stays up while the bad config is mounted, so the alert clears only when fixed
    assert.match(alert("HostguardConfigReloadFailed").expr, /max\(hostguard_config_reload_failing\) > 0$/);
    assert.match(
      alert("HostguardAuditWriteFailures").expr,
      /increase\(hostguard_audit_write_failures_total\[/,
    );
    assert.match(
      alert("HostguardCertificateExpiresSoon").expr,
      /hostguard_tls_certificate_expiry_timestamp_seconds\) - time\(\) < /,
    );
    assert.match(alert("HostguardCertificateReloadFailed").expr, /hostguard_tls_reload_failures_total/);
    assert.match(alert("HostguardChecksOff").expr, /hostguard_config_checks_off/);
    assert.match(alert("HostguardUnavailable").expr, /deployment="hostguard"/);
  });

  test("the ServiceMonitor scrapes /metrics on the pods' probe port (8080) through the metrics Service", () => {
    const service = findOne(monitoring, "Service", "hostguard-metrics");
    const monitor = findOne(monitoring, "ServiceMonitor", "hostguard");
    const wanted = field(monitor, "spec", "selector", "matchLabels") as Record<string, Json>;
    for (const [k, v] of Object.entries(wanted)) assert.equal(field(service, "metadata", "labels", k), v);
    assert.equal(field(monitor, "spec", "endpoints", 0, "path"), "/metrics");
    assert.equal(field(monitor, "spec", "endpoints", 0, "port"), field(service, "spec", "ports", 0, "name"));
    // the Service's selector and targetPort resolve against the base Deployment
    const deploy = findOne(base, "Deployment", "hostguard");
    const podLabels = field(deploy, "spec", "template", "metadata", "labels") as Record<string, Json>;
    for (const [k, v] of Object.entries(field(service, "spec", "selector") as Record<string, Json>)) {
      assert.equal(podLabels[k], v);
    }
    const target = field(service, "spec", "ports", 0, "targetPort");
    const port = list(field(deploy, "spec", "template", "spec", "containers", 0, "ports"), "ports").find(
      (p) => field(p, "name") === target,
    );
    assert.equal(field(port, "containerPort"), 8080);
    for (const o of monitoring) assert.equal(o.metadata.namespace, "hostguard");
  });
});
