import type { Command } from "commander";
import { explainFlow, type FlowExplanation } from "../engine/explain.js";
import { describeEnd, resolveFlow, type Flow } from "../engine/flow.js";
import type { TraceStep } from "../engine/evaluate.js";
import { PROTOCOL_NUMBERS } from "../calico/types.js";
import { EXIT_DENIED, EXIT_OK, UsageError, type CliIo } from "./io.js";
import { describeRejected, loadStateFrom } from "./state-input.js";

export interface ExplainOptions {
  readonly state?: string;
  readonly cluster?: boolean;
  readonly kubeconfig?: string;
  readonly from: string;
  readonly to: string;
  readonly protocol: string;
  readonly port?: string;
  readonly icmpType?: string;
  readonly icmpCode?: string;
  readonly path?: string;
  readonly output?: string;
}

/** Protocol names are case-sensitive in Calico objects; on the command line we accept any case. */
function canonicalProtocol(text: string): string {
  const name = Object.keys(PROTOCOL_NUMBERS).find((n) => n.toLowerCase() === text.toLowerCase());
  return name ?? text;
}

function flowText(flow: Flow): string {
  const what =
    flow.port !== undefined
      ? `${flow.protocol.name} port ${flow.port}`
      : flow.icmpType !== undefined
        ? `${flow.protocol.name} type ${flow.icmpType}${flow.icmpCode !== undefined ? ` code ${flow.icmpCode}` : ""}`
        : flow.protocol.name;
  return `${what} from ${describeEnd(flow.from)} to ${describeEnd(flow.to)} (${flow.path} path)`;
}

function stepText(step: TraceStep): string {
  const where = [step.tier && `tier ${step.tier}`, step.policy && `policy ${step.policy}`]
    .filter(Boolean)
    .join(", ");
  return `  ${step.side.padEnd(7)} ${step.node} [${step.stage}]${where ? ` ${where}:` : ""} ${step.detail} → ${step.outcome}`;
}

export function explanationJson(flow: Flow, e: FlowExplanation): object {
  return {
    verdict: e.verdict,
    flow: {
      from: describeEnd(flow.from),
      to: describeEnd(flow.to),
      protocol: flow.protocol.name,
      port: flow.port,
      icmpType: flow.icmpType,
      icmpCode: flow.icmpCode,
      path: flow.path,
    },
    side: e.side,
    node: e.node,
    hostEndpoint: e.hostEndpoint ?? null,
    stage: e.stage,
    tier: e.tier ?? null,
    policy: e.policy ?? null,
    rule: e.ruleIndex ?? null,
    reason: e.reason,
    sides: e.sides.map((s) => ({
      side: s.side,
      node: s.node,
      hostEndpoint: s.hostEndpoint ?? null,
      verdict: s.verdict,
      stage: s.stage,
      tier: s.tier ?? null,
      policy: s.policy ?? null,
      rule: s.ruleIndex ?? null,
      reason: s.reason,
    })),
    trace: e.trace,
  };
}

export function explanationText(flow: Flow, e: FlowExplanation): string {
  const lines = [
    `${e.verdict.toUpperCase()}: ${flowText(flow)}`,
    `decided on the ${e.side} side of ${e.node}${e.hostEndpoint ? ` (HostEndpoint ${e.hostEndpoint})` : ""}, stage ${e.stage}: ${e.reason}`,
    "",
    "trace (source egress first, then destination ingress):",
    ...e.trace.map(stepText),
  ];
  return lines.join("\n");
}

export async function runExplain(opts: ExplainOptions, io: CliIo): Promise<number> {
  const output = opts.output ?? "text";
  if (output !== "text" && output !== "json")
    throw new UsageError(`--output must be text or json, got "${output}"`);
  const loaded = await loadStateFrom(opts);
  for (const line of describeRejected(loaded)) io.err(line);
  const flow = resolveFlow(loaded.state, {
    from: opts.from,
    to: opts.to,
    protocol: canonicalProtocol(opts.protocol),
    port: opts.port,
    icmpType: opts.icmpType,
    icmpCode: opts.icmpCode,
    path: opts.path,
  });
  if (!flow.ok) throw new UsageError(flow.error);
  const explanation = explainFlow(loaded.state, flow.value);
  io.out(
    output === "json"
      ? JSON.stringify(explanationJson(flow.value, explanation), null, 2)
      : explanationText(flow.value, explanation),
  );
  return explanation.verdict === "allow" ? EXIT_OK : EXIT_DENIED;
}

export function registerExplain(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command("explain")
    .description(
      "show the verdict Calico gives one flow, with the trace of stages, tiers, policies and rules",
    )
    .option("--state <path>", "YAML file or directory of YAML files with Nodes and Calico objects")
    .option(
      "--cluster",
      "read the live cluster state once (in-cluster, --kubeconfig, KUBECONFIG or ~/.kube/config)",
    )
    .option("--kubeconfig <file>", "kubeconfig for --cluster")
    .requiredOption("--from <end>", "source: NODE, NODE@IP or an IP address")
    .requiredOption("--to <end>", "destination: NODE, NODE@IP or an IP address")
    .requiredOption("--protocol <p>", "TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or a protocol number")
    .option("--port <n>", "destination port (TCP, UDP, SCTP)")
    .option("--icmp-type <t>", "ICMP type")
    .option("--icmp-code <c>", "ICMP code")
    .option("--path <path>", "host (default) or forward (DNAT to a pod, e.g. NodePort)")
    .option("--output <format>", "text (default) or json")
    .action(async (opts: ExplainOptions) => setExit(await runExplain(opts, io)));
}
