/**
 * The benchmark's result: the JSON object `--json` prints (stable keys), the targets of the issue,
 * and the human table.
 */
import { cpus, totalmem } from "node:os";
import type { LoadResult } from "./https-client.js";
import { CHANGE_TYPES, type ChangeType } from "./protocol.js";
import type { ScaleRun } from "./run-scale.js";
import { mib, summarize, type Summary } from "./stats.js";

export interface ChangeFigures extends Summary {
  readonly truncated: boolean;
  /** decisions whose outcome was not the expected one (an allowed change denied, or the reverse) */
  readonly unexpected: number;
  readonly unexpectedExample?: string;
  /** the decision of this type that was running when the budget stopped the run: at least this long */
  readonly abortedAtLeastMs?: number;
}

export interface DecideFigures extends Summary {
  readonly truncated: boolean;
  /** when no decision finished: the one that was running took at least this long */
  readonly atLeastMs: number | null;
  readonly requestsPerType: number;
  readonly budgetMs: number;
  readonly elapsedMs: number | null;
  readonly firstDecideMs: number | null;
  readonly loadMs: number | null;
  readonly generateMs: number | null;
  readonly warmup: boolean;
  readonly scale: { readonly nodes: number; readonly policies: number; readonly networkSets: number };
  readonly objects: Readonly<Record<string, number>>;
  readonly byChange: Readonly<Record<ChangeType, ChangeFigures>>;
  readonly error?: string;
}

function round(ms: number | undefined): number | null {
  return ms === undefined ? null : Math.round(ms * 1000) / 1000;
}

export function decideFigures(
  run: ScaleRun,
  spec: { nodes: number; policies: number; networkSets: number },
  requestsPerType: number,
): DecideFigures {
  const byChange = Object.fromEntries(
    CHANGE_TYPES.map((type) => {
      const samples = run.samples[type];
      const aborted =
        run.stopped?.type === type && run.stopped.phase === "sample" ? run.stopped.atLeastMs : undefined;
      const u = run.unexpected[type];
      const figures: ChangeFigures = {
        ...summarize(samples),
        truncated: samples.length < requestsPerType,
        unexpected: u.count,
        ...(u.first !== undefined && { unexpectedExample: u.first }),
        ...(aborted !== undefined && { abortedAtLeastMs: aborted }),
      };
      return [type, figures];
    }),
  ) as Record<ChangeType, ChangeFigures>;
  const all = CHANGE_TYPES.flatMap((t) => run.samples[t]);
  const pooled = summarize(all);
  return {
    ...pooled,
    truncated: CHANGE_TYPES.some((t) => byChange[t].truncated),
    // No decision finished and one was stopped: it took at least this long (the first one included).
    atLeastMs: pooled.n === 0 && run.firstDecideMs === undefined ? (run.stopped?.atLeastMs ?? null) : null,
    requestsPerType,
    budgetMs: run.budgetMs,
    elapsedMs: run.decideElapsedMs ?? null,
    firstDecideMs: round(run.firstDecideMs),
    loadMs: round(run.loaded?.loadMs),
    generateMs: round(run.loaded?.generateMs),
    warmup: run.warmup ?? false,
    scale: spec,
    objects: run.loaded?.counts ?? {},
    byChange,
    ...(run.error !== undefined && { error: run.error }),
  };
}

export interface HttpsFigures {
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
  readonly rps: number | null;
  readonly n: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly truncated: boolean;
  /** when no review finished in the budget: the oldest one aborted was at least this old */
  readonly atLeastMs: number | null;
  /** one review at a time on an idle server (the warm-up requests), median */
  readonly idleP50Ms: number | null;
  readonly idleN: number;
  readonly noopP50Ms: number | null;
  readonly noopP95Ms: number | null;
  readonly noopP99Ms: number | null;
  readonly noopMaxMs: number | null;
  readonly noopRps: number | null;
  readonly noopN: number;
  readonly ratioP50: number | null;
  readonly ratioP99: number | null;
  readonly concurrency: number;
  readonly requests: number;
  readonly budgetMs: number;
  readonly body: string;
  readonly bodyBytes: number;
  readonly note?: string;
}

function ratio(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : Math.round((a / b) * 100) / 100;
}

export function httpsFigures(
  real: LoadResult | undefined,
  noop: LoadResult | undefined,
  idle: LoadResult | undefined,
  meta: {
    concurrency: number;
    requests: number;
    budgetMs: number;
    body: string;
    bodyBytes: number;
    note?: string;
  },
  /** a warm-up review aborted at its budget (then there is no measurement under load) */
  warmupAbortedAtLeastMs: number | null = null,
): HttpsFigures {
  return {
    p50Ms: real?.p50Ms ?? null,
    p95Ms: real?.p95Ms ?? null,
    p99Ms: real?.p99Ms ?? null,
    maxMs: real?.maxMs ?? null,
    rps: real?.rps ?? null,
    n: real?.n ?? 0,
    errors: real?.errors ?? 0,
    ...(real?.firstError !== undefined && { firstError: real.firstError }),
    truncated: real?.truncated ?? true,
    atLeastMs: real ? (real.n === 0 ? real.abortedAtLeastMs : null) : warmupAbortedAtLeastMs,
    idleP50Ms: idle?.p50Ms ?? null,
    idleN: idle?.n ?? 0,
    noopP50Ms: noop?.p50Ms ?? null,
    noopP95Ms: noop?.p95Ms ?? null,
    noopP99Ms: noop?.p99Ms ?? null,
    noopMaxMs: noop?.maxMs ?? null,
    noopRps: noop?.rps ?? null,
    noopN: noop?.n ?? 0,
    ratioP50: ratio(real?.p50Ms ?? null, noop?.p50Ms ?? null),
    ratioP99: ratio(real?.p99Ms ?? null, noop?.p99Ms ?? null),
    ...meta,
  };
}

export interface RssFigures {
  readonly [key: string]: number | null;
}

export function rssFigures(runs: Readonly<Record<string, ScaleRun | undefined>>): RssFigures {
  const out: Record<string, number | null> = {};
  for (const [label, run] of Object.entries(runs)) {
    out[label] = run?.rss.loaded === undefined ? null : mib(run.rss.loaded);
    out[`${label}AfterFirstDecide`] = run?.rss.indexed === undefined ? null : mib(run.rss.indexed);
    out[`${label}HeapUsed`] = run?.rss.heapLoaded === undefined ? null : mib(run.rss.heapLoaded);
    out[`${label}Baseline`] = run?.rss.baseline === undefined ? null : mib(run.rss.baseline);
    out[`${label}HeapUsedAfterFirstDecide`] =
      run?.rss.heapIndexed === undefined ? null : mib(run.rss.heapIndexed);
  }
  const baseline = runs["5k"]?.rss.baseline;
  out.baseline = baseline === undefined ? null : mib(baseline);
  return out;
}

export interface Target {
  readonly name: string;
  readonly target: string;
  readonly actual: string;
  readonly met: boolean;
  /** actual / limit, when both are known (a lower bound when the figure is "at least") */
  readonly factor: number | null;
}

function within(
  name: string,
  limit: number,
  unit: string,
  value: number | null,
  missing?: { readonly atLeast?: number | null; readonly firstMs?: number | null },
): Target {
  const target = `≤ ${limit} ${unit}`;
  const factor = (v: number) => Math.round((v / limit) * 100) / 100;
  if (value !== null)
    return { name, target, actual: `${value} ${unit}`, met: value <= limit, factor: factor(value) };
  if (missing?.atLeast != null) {
    return {
      name,
      target,
      actual: `≥ ${missing.atLeast} ${unit} (did not finish)`,
      met: false,
      factor: factor(missing.atLeast),
    };
  }
  if (missing?.firstMs != null) {
    return {
      name,
      target,
      actual: `not measured (n = 0): the first decision alone took ${Math.round(missing.firstMs)} ${unit}`,
      met: false,
      factor: factor(missing.firstMs),
    };
  }
  return { name, target, actual: "not measured", met: false, factor: null };
}

export function targets(
  decide: Readonly<Record<string, DecideFigures>>,
  https: HttpsFigures,
  rss: RssFigures,
  quick = false,
): Target[] {
  const d1 = decide["1k"];
  const d5 = decide["5k"];
  const rss5 = rss["5kAfterFirstDecide"] ?? null;
  const rss5Loaded = rss["5k"] ?? null;
  const rssTarget = within("RSS at 5k nodes (after the first decision)", 200, "MiB", rss5);
  const list: Target[] = [
    within("decide p99 at 1k nodes", 2, "ms", d1?.p99Ms ?? null, {
      atLeast: d1?.atLeastMs,
      firstMs: d1?.firstDecideMs,
    }),
    within("decide p99 at 5k nodes", 10, "ms", d5?.p99Ms ?? null, {
      atLeast: d5?.atLeastMs,
      firstMs: d5?.firstDecideMs,
    }),
    {
      ...within("HTTPS p50 / no-op p50", 1.5, "×", https.ratioP50),
      ...(https.ratioP50 === null &&
        https.atLeastMs !== null &&
        https.noopP50Ms !== null && {
          actual: `≥ ${Math.round(https.atLeastMs / https.noopP50Ms)} × (no review finished)`,
          factor: Math.round(https.atLeastMs / https.noopP50Ms / 1.5),
        }),
    },
    rss5 === null && rss5Loaded !== null
      ? {
          ...rssTarget,
          actual: `≥ ${rss5Loaded} MiB (after loading; the first decision did not finish)`,
          // unknown until the first decision finishes: never reported as met
          met: false,
          factor: Math.round((rss5Loaded / 200) * 100) / 100,
        }
      : rssTarget,
  ];
  // --quick runs small clusters in the 1k and 5k slots: its verdicts say nothing about the targets.
  return quick ? list.map((t) => ({ ...t, name: `${t.name} [--quick: small clusters]`, met: false })) : list;
}

export function machine(): string {
  const list = cpus();
  return `${list.length} cores, ${list[0]?.model.trim() ?? "unknown CPU"}`;
}

export function machineDetails(): {
  cores: number;
  model: string;
  memoryGiB: number;
  node: string;
  platform: string;
} {
  const list = cpus();
  return {
    cores: list.length,
    model: list[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

function cell(v: number | null | undefined, width = 9): string {
  const text = v === null || v === undefined ? "—" : v >= 100 ? v.toFixed(0) : v.toFixed(2);
  return text.padStart(width);
}

export interface Result {
  readonly decide: Readonly<Record<string, DecideFigures>>;
  readonly https: HttpsFigures;
  readonly rssMiB: RssFigures;
  readonly machine: string;
  readonly targets: readonly Target[];
  readonly quick: boolean;
  readonly seed: number;
  readonly totalSeconds: number;
}

/** The short human table printed without --json. */
export function table(r: Result): string {
  const lines: string[] = [];
  lines.push(
    `hostguard benchmark${r.quick ? " (--quick: small scales, few requests)" : ""} — ${r.machine}, node ${process.version}`,
  );
  lines.push("");
  lines.push(
    `decide() in-process, ms   ${"n".padStart(6)}${["p50", "p95", "p99", "max"].map((h) => h.padStart(9)).join("")}`,
  );
  for (const [label, d] of Object.entries(r.decide)) {
    const s = d.scale;
    lines.push(
      `${label}: ${s.nodes} nodes, ${s.policies} GNP, ${s.networkSets} GNS — first decision ${d.firstDecideMs === null ? "did not finish" : `${d.firstDecideMs.toFixed(0)} ms`}${d.truncated ? ` (truncated: ${(d.budgetMs / 1000).toFixed(0)} s budget)` : ""}`,
    );
    for (const type of CHANGE_TYPES) {
      const c = d.byChange[type];
      const aborted = c.abortedAtLeastMs !== undefined ? `  (+1 stopped at ≥ ${c.abortedAtLeastMs} ms)` : "";
      const bad = c.unexpected > 0 ? `  ${c.unexpected} UNEXPECTED outcomes` : "";
      lines.push(
        `  ${type.padEnd(24)}${String(c.n).padStart(6)}${cell(c.p50Ms)}${cell(c.p95Ms)}${cell(c.p99Ms)}${cell(c.maxMs)}${aborted}${bad}`,
      );
    }
    lines.push(
      `  ${"all".padEnd(24)}${String(d.n).padStart(6)}${cell(d.p50Ms)}${cell(d.p95Ms)}${cell(d.p99Ms)}${cell(d.maxMs)}`,
    );
    if (d.error) lines.push(`  error: ${d.error.split("\n")[0]}`);
  }
  lines.push("");
  const h = r.https;
  lines.push(`HTTPS POST /validate (keep-alive, concurrency ${h.concurrency}, ${h.bodyBytes}-byte body), ms`);
  lines.push(
    `  ${"server".padEnd(24)}${"n".padStart(6)}${["p50", "p95", "p99", "max"].map((x) => x.padStart(9)).join("")}${"req/s".padStart(9)}`,
  );
  lines.push(
    `  ${"hostguard (1k state)".padEnd(24)}${String(h.n).padStart(6)}${cell(h.p50Ms)}${cell(h.p95Ms)}${cell(h.p99Ms)}${cell(h.maxMs)}${cell(h.rps)}`,
  );
  lines.push(
    `  ${"no-op fastify".padEnd(24)}${String(h.noopN).padStart(6)}${cell(h.noopP50Ms)}${cell(h.noopP95Ms)}${cell(h.noopP99Ms)}${cell(h.noopMaxMs)}${cell(h.noopRps)}`,
  );
  lines.push(
    `  ratio p50 ${h.ratioP50 ?? "—"}, p99 ${h.ratioP99 ?? "—"}; one review on an idle server: ${h.idleP50Ms ?? "—"} ms${h.atLeastMs !== null ? `; none finished under load (≥ ${h.atLeastMs} ms)` : ""}${h.note ? ` — ${h.note}` : ""}`,
  );
  lines.push("");
  const m = r.rssMiB;
  lines.push(
    `RSS, MiB (after gc): 1k ${m["1k"] ?? "—"} loaded / ${m["1kAfterFirstDecide"] ?? "—"} after first decision; 5k ${m["5k"] ?? "—"} / ${m["5kAfterFirstDecide"] ?? "—"}; empty process ${m.baseline ?? "—"}`,
  );
  lines.push("");
  lines.push("targets:");
  for (const t of r.targets) {
    const factor = t.factor !== null && !t.met ? ` (${t.factor}× the limit)` : "";
    const tag = r.quick ? " n/a  " : t.met ? " met  " : "MISSED";
    lines.push(`  [${tag}] ${t.name} ${t.target}: ${t.actual}${factor}`);
  }
  lines.push("");
  lines.push(`total ${r.totalSeconds.toFixed(0)} s`);
  return lines.join("\n");
}
