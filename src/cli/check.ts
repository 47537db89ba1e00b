import type { Command } from "commander";
import { readObjects } from "../cluster/file-source.js";
import { auditFinding } from "../audit/from-decision.js";
import type { Finding } from "../checks/finding.js";
import { decide, type Decision, type DecisionRequest } from "../decision/decide.js";
import type { ClusterState } from "../engine/state.js";
import { loadConfigFile } from "./config-input.js";
import { EXIT_DENIED, EXIT_OK, UsageError, type CliIo } from "./io.js";
import { parseKind } from "./kinds.js";
import { describeRejected, loadStateFrom } from "./state-input.js";

export interface CheckOptions {
  readonly state?: string;
  readonly cluster?: boolean;
  readonly kubeconfig?: string;
  readonly file?: readonly string[];
  readonly delete?: readonly string[];
  readonly config?: string;
  readonly output?: string;
}

/** The stable JSON of a violation (design §7). */
export function findingJson(f: Finding): Record<string, unknown> {
  // The audit log's finding fields first, in its order; then what only the CLI shows; message last.
  const { message: _message, ...head } = auditFinding(f);
  return {
    ...head,
    ...(f.path !== undefined && { path: f.path }),
    ...(f.direction !== undefined && { direction: f.direction }),
    ...(f.field !== undefined && { field: f.field }),
    ...(f.droppedBy !== undefined && { droppedBy: f.droppedBy }),
    ...(f.allowedBefore !== undefined && { allowedBefore: f.allowedBefore }),
    message: f.message,
  };
}

export function decisionJson(d: Decision): Record<string, unknown> {
  return {
    operation: d.operation,
    kind: d.kind,
    name: d.name,
    allowed: d.allowed,
    mode: d.mode,
    ...(d.overridden && { overridden: d.overridden }),
    violations: d.violations.map(findingJson),
    warnings: d.warnings,
    ...(d.message !== undefined && { message: d.message }),
  };
}

function objectName(object: unknown): string {
  const name = (object as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  return typeof name === "string" ? name : "";
}

function requestsFrom(state: ClusterState, opts: CheckOptions): DecisionRequest[] {
  const requests: DecisionRequest[] = [];
  for (const file of opts.file ?? []) {
    const objects = readObjects(file);
    if (!objects.ok) throw new UsageError(objects.error);
    for (const object of objects.value) {
      const kind = String((object as { kind?: unknown } | null)?.kind ?? "");
      const name = objectName(object);
      const known = parseKind(kind);
      const exists = known !== undefined && state.get(known, name) !== undefined;
      requests.push({ operation: exists ? "UPDATE" : "CREATE", kind, name, object });
    }
  }
  for (const target of opts.delete ?? []) {
    const slash = target.indexOf("/");
    const kind = slash > 0 ? parseKind(target.slice(0, slash)) : undefined;
    const name = target.slice(slash + 1);
    if (!kind || !name)
      throw new UsageError(`--delete wants KIND/NAME such as hostendpoint/node-2, got "${target}"`);
    requests.push({ operation: "DELETE", kind, name });
  }
  return requests;
}

export async function runCheck(opts: CheckOptions, io: CliIo): Promise<number> {
  const output = opts.output ?? "text";
  if (output !== "text" && output !== "json")
    throw new UsageError(`--output must be text or json, got "${output}"`);
  if ((opts.file ?? []).length + (opts.delete ?? []).length === 0)
    throw new UsageError("nothing to check: give -f FILE or --delete KIND/NAME");
  const config = loadConfigFile(opts.config);
  const loaded = await loadStateFrom(opts);
  for (const line of describeRejected(loaded)) io.err(line);
  let state = loaded.state;
  const decisions: Decision[] = [];
  for (const request of requestsFrom(state, opts)) {
    const d = decide(state, request, config);
    decisions.push(d);
    state = d.after; // admitted changes are applied before the next, as the webhook would see them
  }
  const allowed = decisions.every((d) => d.allowed);
  if (output === "json") {
    io.out(JSON.stringify({ allowed, results: decisions.map(decisionJson) }, null, 2));
  } else {
    for (const d of decisions) {
      const head = `${d.allowed ? (d.overridden ? "OVERRIDDEN" : "ALLOWED") : "DENIED"} ${d.operation} ${d.kind} ${d.name}`;
      io.out(d.allowed || !d.message ? head : d.message);
      for (const w of d.warnings) io.out(`  Warning: ${w}`);
    }
  }
  return allowed ? EXIT_OK : EXIT_DENIED;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function registerCheck(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command("check")
    .description("decide changes as the webhook would, in order (admitted ones are applied before the next)")
    .option("--state <path>", "YAML file or directory with the cluster's Nodes and Calico objects")
    .option(
      "--cluster",
      "read the live cluster state once (in-cluster, --kubeconfig, KUBECONFIG or ~/.kube/config)",
    )
    .option("--kubeconfig <file>", "kubeconfig for --cluster")
    .option("-f, --file <file>", "objects to apply (multi-document YAML); repeatable", collect)
    .option("--delete <kind/name>", "an object to delete, e.g. hostendpoint/node-2; repeatable", collect)
    .option("--config <file>", "guard config (default: profile rancher, mode enforce)")
    .option("--output <format>", "text (default) or json")
    .action(async (opts: CheckOptions) => setExit(await runCheck(opts, io)));
}
