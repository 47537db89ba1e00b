import type { Command } from "commander";
import { stringify } from "yaml";
import { auditFindings } from "../decision/audit.js";
import { generateHostEndpoints } from "../decision/generate-heps.js";
import { warningLine } from "../decision/messages.js";
import { findingJson } from "./check.js";
import { loadConfigFile } from "./config-input.js";
import { EXIT_DENIED, EXIT_OK, UsageError, type CliIo } from "./io.js";
import { policyReport } from "./policy-report.js";
import { describeRejected, loadStateFrom } from "./state-input.js";

interface StateOptions {
  readonly state?: string;
  readonly cluster?: boolean;
  readonly kubeconfig?: string;
  readonly config?: string;
  readonly output?: string;
  readonly interface?: string;
}

async function stateFrom(opts: StateOptions, io: CliIo) {
  const loaded = await loadStateFrom(opts);
  for (const line of describeRejected(loaded)) io.err(line);
  return loaded.state;
}

const AUDIT_OUTPUTS = ["text", "json", "policyreport"];

/** `audit`: every current finding; exit 1 when there is any. */
export async function runAudit(opts: StateOptions, io: CliIo): Promise<number> {
  const output = opts.output ?? "text";
  if (!AUDIT_OUTPUTS.includes(output))
    throw new UsageError(`--output must be text, json or policyreport, got "${output}"`);
  const config = loadConfigFile(opts.config);
  const findings = auditFindings(await stateFrom(opts, io), config);
  if (output === "json") io.out(JSON.stringify({ findings: findings.map(findingJson) }, null, 2));
  else if (output === "policyreport") io.out(stringify(policyReport(findings, new Date())));
  else {
    for (const f of findings) io.out(`${f.check}: ${warningLine(f).slice(0, 200)}`);
    io.out(
      findings.length === 0 ? "no findings" : `${findings.length} finding${findings.length === 1 ? "" : "s"}`,
    );
  }
  return findings.length === 0 ? EXIT_OK : EXIT_DENIED;
}

/** `generate-heps`: HostEndpoint YAML for every node that lacks a covering one. */
export async function runGenerateHeps(opts: StateOptions, io: CliIo): Promise<number> {
  const iface = opts.interface ?? "eth0";
  if (!/^[a-zA-Z0-9_.-]{1,15}$/.test(iface))
    throw new UsageError(`--interface "${iface}" is not a Linux interface name (1-15 of a-z A-Z 0-9 _ . -)`);
  const manifests = generateHostEndpoints(await stateFrom(opts, io), iface);
  if (manifests.length === 0) {
    io.err("every node already has a HostEndpoint that lists its InternalIPs");
    return EXIT_OK;
  }
  io.out(
    [
      "# HostEndpoints for nodes without one (hostguard generate-heps). Review before applying:",
      "# a HostEndpoint denies what no policy allows, so apply the policies first (rancher runbook order).",
      ...manifests.map((m) => `---\n${stringify(m)}`),
    ].join("\n"),
  );
  return EXIT_OK;
}

export function registerAudit(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command("audit")
    .description(
      "list every current finding (required ports dropped, nodes without HostEndpoint, failsafe ports missing)",
    )
    .option("--state <path>", "YAML file or directory with the cluster's Nodes and Calico objects")
    .option(
      "--cluster",
      "read the live cluster state once (in-cluster, --kubeconfig, KUBECONFIG or ~/.kube/config)",
    )
    .option("--kubeconfig <file>", "kubeconfig for --cluster")
    .option("--config <file>", "guard config (default: profile rancher)")
    .option("--output <format>", "text (default), json, or policyreport (a ClusterPolicyReport in YAML)")
    .action(async (opts: StateOptions) => setExit(await runAudit(opts, io)));
  program
    .command("generate-heps")
    .description("print HostEndpoint manifests for nodes that lack a covering HostEndpoint")
    .option("--state <path>", "YAML file or directory with the cluster's Nodes and Calico objects")
    .option(
      "--cluster",
      "read the live cluster state once (in-cluster, --kubeconfig, KUBECONFIG or ~/.kube/config)",
    )
    .option("--kubeconfig <file>", "kubeconfig for --cluster")
    .option("--interface <name>", "interfaceName of the generated HostEndpoints", "eth0")
    .action(async (opts: StateOptions) => setExit(await runGenerateHeps(opts, io)));
}
