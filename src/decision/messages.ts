/**
 * What an operator reads at 3 a.m.: the denial message (kubectl prints it after "denied the
 * request: ") and the warnings (kubectl prints each as "Warning: ..."). Pure formatting of findings.
 */
import { describeDecider, type Decider, type Finding } from "../checks/finding.js";
import { compareNames, mergeSorted } from "../checks/name-list.js";

export const MAX_WARNING_LENGTH = 120;

export function clip(text: string, max = MAX_WARNING_LENGTH): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function listWithCount(items: readonly string[], total?: number): string {
  const shown =
    items.length > 6 ? `${items.slice(0, 6).join(", ")} and ${items.length - 6} more` : items.join(", ");
  if (total === undefined) return shown;
  return items.length === total && total > 1
    ? `all ${total} nodes (${shown})`
    : `${items.length} of ${total} nodes (${shown})`;
}

function signature(d: Decider | undefined): string {
  return d ? `${d.side}/${d.stage}/${d.tier ?? ""}/${d.policy ?? ""}/${d.rule ?? ""}` : "";
}

/** Where an allow came from, without the rule index: ports of several protocols share one policy. */
function origin(d: Decider | undefined): string {
  return d ? `${d.side}/${d.stage}/${d.tier ?? ""}/${d.policy ?? ""}` : "";
}

function remedyForPorts(what: string, dropped: Decider, before: Decider | undefined): string {
  if (dropped.rule !== undefined && dropped.policy) {
    return `Fix: narrow ${dropped.policy} ${dropped.side} rule ${dropped.rule} so it no longer matches ${what} from these sources, or allow it in an earlier policy.`;
  }
  if (dropped.side === "egress") {
    return before?.policy
      ? `Fix: keep an egress policy like ${before.policy} selecting the sending nodes' HostEndpoints; without one they deny what no policy allows.`
      : `Fix: the sending nodes need an egress policy that allows ${what}; their HostEndpoints deny what no policy allows.`;
  }
  if (before?.policy) {
    return `Fix: keep ${what} allowed for these sources in ${before.policy} (as before), or add an Allow rule for it.`;
  }
  return `Fix: add an Allow rule for ${what} to a policy that selects the destination HostEndpoints.`;
}

function portOrder(a: Finding, b: Finding): number {
  const pa = Number(/^\d+/.exec(a.ports ?? "")?.[0] ?? 0);
  const pb = Number(/^\d+/.exec(b.ports ?? "")?.[0] ?? 0);
  return (a.protocol ?? "").localeCompare(b.protocol ?? "") || pa - pb;
}

/** `TCP 80, 443, 10250; UDP 8472; ICMP type 8` */
function portsText(findings: readonly Finding[]): string {
  const byProtocol = new Map<string, string[]>();
  for (const f of [...findings].sort(portOrder)) {
    const list = byProtocol.get(f.protocol ?? "?") ?? [];
    if (f.ports && !list.includes(f.ports)) list.push(f.ports);
    byProtocol.set(f.protocol ?? "?", list);
  }
  return [...byProtocol.entries()]
    .map(([p, ports]) => (ports.length ? `${p} ${ports.join(", ")}` : p))
    .join("; ");
}

/** The sources of several findings: node lists merged, network sources after them by label. */
interface Sources {
  readonly count: number;
  /** the first ones, as they read in a message */
  readonly shown: readonly string[];
  /** identifies the whole set (for grouping ports with the same sources) */
  readonly key: string;
}

function sourcesOf(findings: readonly Finding[], max: number): Sources {
  const nodeLists: (readonly string[])[] = [];
  const labels = new Map<string, string>();
  const networks = new Set<string>();
  for (const f of findings) {
    const names = f.fromAll ?? (f.from !== undefined ? [f.from] : []);
    const fl = f.fromLabels ?? [];
    // Network sources, and loopback sources (one label for all: "loopback (127.0.0.1)"), are
    // named by their label; node sources by name, with the labels of the first ones.
    if (f.from !== undefined && (isNetworkLabel(fl[0] ?? f.from) || (fl.length === 1 && names.length > 1))) {
      networks.add(fl[0] ?? f.from);
      continue;
    }
    nodeLists.push(names);
    fl.forEach((label, i) => labels.set(names[i]!, label));
  }
  const nodes = mergeSorted(nodeLists);
  const nets = [...networks].sort(compareNames);
  const nodeLabels = nodes.slice(0, max).map((n) => labels.get(n) ?? n);
  return {
    count: nodes.length + nets.length,
    shown: [...nodeLabels, ...nets].slice(0, max),
    key: `${nodes.join(",")}|${nets.join(",")}`,
  };
}

function isNetworkLabel(label: string): boolean {
  return label.startsWith("set ") || /^[\d:]/.test(label) || label.startsWith("anywhere");
}

/**
 * One block per cause: ports (of any protocol) are listed together when their sources,
 * destinations, what drops them now and what allowed them before all agree. Lists are merged from
 * the findings' shared class lists, so a block costs what its names cost, once.
 */
function portBlocks(findings: readonly Finding[], totalNodes: number): string[] {
  // First per port: which sources and destinations.
  const perPort = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = [
      f.requirement,
      f.protocol,
      f.ports,
      f.path,
      signature(f.droppedBy),
      origin(f.allowedBefore),
    ].join("|");
    const list = perPort.get(key);
    if (list) list.push(f);
    else perPort.set(key, [f]);
  }
  // Then ports with the same who/why into one block.
  const blocks = new Map<string, { samples: Finding[]; sources: Sources; to: readonly string[] }>();
  for (const group of perPort.values()) {
    const sample = group[0]!;
    const sources = sourcesOf(group, 8);
    const to = mergeSorted(group.map((f) => f.to ?? []));
    const key = [
      sample.requirement,
      sample.path,
      signature(sample.droppedBy),
      origin(sample.allowedBefore),
      sources.key,
      to.join(","),
    ].join("|");
    const block = blocks.get(key) ?? { samples: [], sources, to };
    block.samples.push(sample);
    blocks.set(key, block);
  }
  return [...blocks.values()].map(({ samples, sources, to }) => {
    const first = samples[0]!;
    const what = portsText(samples);
    const path = first.path === "forward" ? " (forwarded to pods, e.g. NodePort)" : "";
    const dropped = first.droppedBy!;
    const before = first.allowedBefore;
    const rules = [...new Set(samples.map((f) => f.allowedBefore?.rule).filter((r) => r !== undefined))];
    const lines = [
      `required-ports (${first.requirement}): ${what}${path}`,
      `   from: ${sources.count > sources.shown.length ? `${sources.shown.join(", ")} and ${sources.count - sources.shown.length} more` : sources.shown.join(", ")}`,
      `   to: ${listWithCount(to, totalNodes)}`,
      `   now dropped by: ${describeDecider(dropped)}`,
    ];
    if (before) {
      const ruleText =
        before.rule !== undefined
          ? ` ${before.side} rule${rules.length > 1 ? "s" : ""} ${rules.join(", ")}`
          : "";
      lines.push(
        `   allowed before by: ${before.rule !== undefined ? `${before.stage} policy ${before.policy}${ruleText}` : describeDecider(before)}`,
      );
    }
    lines.push(`   ${remedyForPorts(what, dropped, before)}`);
    return lines.join("\n");
  });
}

function coverageBlock(findings: readonly Finding[]): string[] {
  if (findings.length === 0) return [];
  const lines = findings.map((f) => `   - ${f.message}`);
  return [
    [
      `node-coverage: ${findings.length === 1 ? "a node loses" : `${findings.length} node addresses lose`} HostEndpoint protection:`,
      ...lines,
      "   Fix: keep a HostEndpoint per node that lists its InternalIP in expectedIPs (hostguard generate-heps writes them).",
    ].join("\n"),
  ];
}

/** One block per list and origin: which entries it lost, on which nodes, set where. */
function failsafeBlocks(findings: readonly Finding[], totalNodes: number): string[] {
  const groups = new Map<string, { entries: string[]; nodes: Set<string>; sample: Finding }>();
  for (const f of findings) {
    const where = / \((.*), from (.*)\)$/.exec(f.message);
    const key = `${f.direction}|${where?.[2] ?? ""}`;
    const g = groups.get(key) ?? { entries: [], nodes: new Set<string>(), sample: f };
    const entry = `${f.protocol} ${f.ports}`;
    if (!g.entries.includes(entry)) g.entries.push(entry);
    if (f.node) g.nodes.add(f.node);
    groups.set(key, g);
  }
  return [...groups.values()].map(({ entries, nodes, sample }) => {
    const field = sample.direction === "inbound" ? "failsafeInboundHostPorts" : "failsafeOutboundHostPorts";
    const where = / \((.*), from (.*)\)$/.exec(sample.message);
    return [
      `failsafe-ports: ${field} loses ${entries.join(", ")}`,
      `   on: ${listWithCount([...nodes], totalNodes)}`,
      `   set by: ${where?.[2] ?? "?"} (${where?.[1] ?? ""})`,
      "   Fix: keep Felix's failsafe entries: omit the field for the defaults, or add ports instead of replacing the list. They keep SSH, etcd and the API server reachable when a policy is wrong.",
    ].join("\n");
  });
}

function validityBlock(findings: readonly Finding[]): string[] {
  if (findings.length === 0) return [];
  return [
    [
      "calico-valid: Calico would reject this object, and Felix would silently treat it as deleted:",
      ...findings.map((f) => `   - ${f.message}`),
      "   Fix: correct the fields above.",
    ].join("\n"),
  ];
}

export interface DenialContext {
  readonly operation: string;
  readonly kind: string;
  readonly name: string;
  readonly totalNodes: number;
  readonly breakGlass?: string;
}

/** The denial: the object, one block per group of violations with cause and remedy, then how to look closer. */
export function denialMessage(ctx: DenialContext, violations: readonly Finding[]): string {
  const byCheck = (check: Finding["check"]) => violations.filter((f) => f.check === check);
  const blocks = [
    ...validityBlock(byCheck("calico-valid")),
    ...portBlocks(byCheck("required-ports"), ctx.totalNodes),
    ...coverageBlock(byCheck("node-coverage")),
    ...failsafeBlocks(byCheck("failsafe-ports"), ctx.totalNodes),
  ];
  const numbered = blocks.map((b, i) => `${i + 1}. ${b}`);
  const example = violations.find((f) => f.check === "required-ports" && f.to?.length && f.from);
  const tail: string[] = [];
  if (example) {
    const port =
      example.ports && /^\d+/.test(example.ports) ? ` --port ${/^\d+/.exec(example.ports)![0]}` : "";
    tail.push(
      `See why: hostguard explain --state <dir> --from ${example.from} --to ${example.to![0]} --protocol ${example.protocol}${port}${example.path === "forward" ? " --path forward" : ""}`,
    );
  }
  if (ctx.breakGlass) tail.push(ctx.breakGlass);
  return [
    `hostguard denied ${ctx.operation} ${ctx.kind} ${ctx.name}: ${
      violations.every((f) => f.check === "calico-valid")
        ? "Calico would reject it."
        : "it would break what the cluster needs."
    }`,
    ...numbered,
    ...tail,
  ].join("\n");
}

/** A finding as one warning line of at most 120 characters. */
export function warningLine(f: Finding, prefix = ""): string {
  switch (f.check) {
    case "required-ports":
      return clip(
        `${prefix}${f.message}${f.droppedBy ? ` (${f.droppedBy.stage}${f.droppedBy.policy ? ` ${f.droppedBy.policy}` : ""})` : ""}`,
      );
    default:
      return clip(`${prefix}${f.message}`);
  }
}
