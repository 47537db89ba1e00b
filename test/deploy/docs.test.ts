/**
 * docs/operations.md, certs/README.md and the pre-1.30 README: the runbook says what the brief and
 * design §10 require, and its relative links point at files that exist.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, test } from "node:test";
import { REPO } from "./workspace.js";

const DOCS = [
  "docs/operations.md",
  "certs/README.md",
  "deploy/overlays/pre-1.30/README.md",
  "charts/hostguard/README.md",
];

function read(path: string): string {
  return readFileSync(join(REPO, path), "utf8");
}

/** Every needle occurs in the document (whitespace runs count as one space). */
function assertMentions(doc: string, needles: readonly string[]): void {
  const text = read(doc).replace(/\s+/g, " ");
  for (const needle of needles) assert.ok(text.includes(needle), `${doc} mentions ${needle}`);
}

describe("operations documentation", () => {
  test("operations.md covers install (both overlays), verify, upgrade, scaling, alerts, recovery, the model's limits", () => {
    assertMentions("docs/operations.md", [
      "deploy/overlays/cert-manager",
      "deploy/overlays/self-signed",
      "deploy/overlays/pre-1.30",
      "certs/make-certs.sh",
      "kubectl apply --dry-run=server -f examples/changes/bad-drop-kubelet-port.yaml",
      "## Upgrade",
      "## Scaling",
      "charts/hostguard/files/monitoring/prometheusrule.yaml",
      "kubectl delete validatingwebhookconfiguration hostguard",
      "never called for ValidatingWebhookConfiguration",
      "](engine.md)",
      "breakglass-rbac.yaml",
      "hostguard.dev/bypass-webhook",
      "hostguard_decisions_total",
      "hostguard_decision_duration_seconds",
      "hostguard_state_age_seconds",
      "hostguard_nodes_without_hostendpoint",
      "hostguard_config_reload_failures_total",
      "hostguard_config_reload_failing",
      "hostguard_audit_write_failures_total",
      "hostguard_tls_certificate_expiry_timestamp_seconds",
      "WebhookAdmissionConfiguration",
      "--client-ca",
    ]);
  });

  test("operations.md covers Helm (install, upgrade, values) and the NetworkPolicy with its trade-offs", () => {
    assertMentions("docs/operations.md", [
      "## Helm",
      "helm install hostguard charts/hostguard -n hostguard",
      "helm upgrade hostguard charts/hostguard -n hostguard --reuse-values",
      "helm uninstall hostguard",
      "values.schema.json",
      "### NetworkPolicy (optional)",
      "deploy/components/network-policy",
      "networkPolicy.apiServer.cidrs",
      "host network",
      "tunnel addresses",
      "**Trade-offs.**",
    ]);
  });

  test("the chart README covers install, upgrade, certificate rotation and the matchConditions trade-off", () => {
    assertMentions("charts/hostguard/README.md", [
      "## Install",
      "## Upgrade",
      "## Certificates",
      "certificates.generate.rotate=true",
      "renewBeforeDays",
      "## matchConditions",
      "**The trade-off when off**",
      "kubectl delete validatingwebhookconfiguration hostguard",
      "## Values",
    ]);
  });

  test("the examples the runbook runs exist", () => {
    for (const f of [
      "examples/changes/bad-drop-kubelet-port.yaml",
      "examples/changes/bad-empty-failsafe.yaml",
      "examples/changes/good-add-failsafe-port.yaml",
    ]) {
      assert.ok(existsSync(join(REPO, f)), f);
    }
  });

  for (const doc of DOCS) {
    test(`${doc}: relative links resolve`, () => {
      const text = read(doc);
      const links = [...text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)].map((m) => m[1] ?? "");
      for (const link of links.filter((l) => !/^[a-z]+:/.test(l))) {
        assert.ok(existsSync(resolve(dirname(join(REPO, doc)), link)), `${doc} -> ${link}`);
      }
    });
  }
});
