/**
 * One scale of the benchmark, in its own process (forked by bench/main.ts with --expose-gc):
 * generate the cluster, load it, measure RSS, decide the first request (which builds the engine's
 * indexes), then decide the request pools round-robin until every change type has its count or the
 * budget runs out; optionally serve HTTPS afterwards. Every step and every sample is reported to the
 * parent as it happens, so the parent can stop this process at its deadline without losing what was
 * measured. Nothing is printed to stdout.
 */
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { defaultConfig } from "../src/config/index.js";
import { decide, type Decision } from "../src/decision/decide.js";
import { loadState } from "../src/engine/load.js";
import type { ClusterState } from "../src/engine/state.js";
import { generateCluster } from "./generate.js";
import { CHANGE_TYPES, type ChildMessage, type ChildOptions, type ParentMessage } from "./protocol.js";
import { requestPools, reviewBody, type BenchRequest } from "./requests.js";
import { startServers } from "./servers.js";

type Pools = ReturnType<typeof requestPools>;

function send(message: ChildMessage): void {
  process.send?.(message);
}

/** Let the event loop run, so that queued IPC messages leave before the next synchronous decide. */
function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function rss(label: "baseline" | "loaded" | "indexed"): void {
  gc();
  const m = process.memoryUsage();
  send({ t: "rss", label, bytes: m.rss, heapUsed: m.heapUsed });
}

function outcome(d: Decision, expected: BenchRequest): { ok: boolean; detail?: string } {
  if (d.allowed === expected.expectAllowed) return { ok: true };
  const why = d.message ?? d.warnings.join("; ");
  return {
    ok: false,
    detail: `${expected.request.operation} ${expected.request.kind} ${expected.request.name}: expected ${expected.expectAllowed ? "allowed" : "denied"}, got ${d.allowed ? "allowed" : "denied"}: ${why.slice(0, 300)}`,
  };
}

async function decidePhase(state: ClusterState, pools: Pools, opts: ChildOptions): Promise<void> {
  const config = defaultConfig();
  const started = performance.now();
  const left = () => opts.decideBudgetMs - (performance.now() - started);

  // The first decision builds the state's indexes (policy lists, IP sets, signatures): reported alone.
  const first = pools.gnpUpdate[0]!;
  send({ t: "begin", phase: "first", type: "gnpUpdate" });
  await yieldToLoop();
  let t = performance.now();
  const d = decide(state, first.request, config);
  send({ t: "first", ms: performance.now() - t, allowed: d.allowed });
  await yieldToLoop();
  rss("indexed");

  // One warm-up decision per change type (new code paths, JIT), when it costs under 1% of the budget.
  const firstMs = performance.now() - started;
  const warmup = firstMs < opts.decideBudgetMs / 100;
  if (warmup) {
    for (const type of CHANGE_TYPES) {
      send({ t: "begin", phase: "warmup", type });
      decide(state, pools[type][1 % pools[type].length]!.request, config);
    }
    await yieldToLoop();
  }

  // Round-robin over the change types, so a budget that runs out leaves them with similar counts. A
  // decision that would not fit in what is left of the budget (judging by the last one of its type)
  // is not started: the process stays responsive, to serve HTTPS or to report.
  const counts = new Map(CHANGE_TYPES.map((type) => [type, 0]));
  const lastMs = new Map<string, number>();
  for (;;) {
    let progressed = false;
    for (const type of CHANGE_TYPES) {
      const n = counts.get(type)!;
      const estimate = lastMs.get(type) ?? Math.max(firstMs, ...lastMs.values());
      if (n >= opts.requestsPerType || left() <= 0 || estimate > left()) continue;
      const pool = pools[type];
      const item = pool[n % pool.length]!;
      send({ t: "begin", phase: "sample", type });
      t = performance.now();
      const result = decide(state, item.request, config);
      const ms = performance.now() - t;
      send({ t: "sample", type, ms, ...outcome(result, item) });
      counts.set(type, n + 1);
      lastMs.set(type, ms);
      progressed = true;
      await yieldToLoop();
    }
    if (!progressed) break;
  }
  send({ t: "decide-done", warmup });
}

async function serve(state: ClusterState, body: string, tlsDir: string): Promise<void> {
  const servers = await startServers(state, {
    certFile: join(tlsDir, "tls.crt"),
    keyFile: join(tlsDir, "tls.key"),
  });
  send({ t: "serving", realPort: servers.realPort, noopPort: servers.noopPort, body });
  await new Promise<void>((resolve) => {
    process.on("message", (m: ParentMessage) => {
      if (m.t === "stop") resolve();
    });
    process.on("disconnect", () => resolve());
  });
  await servers.close();
}

/**
 * Generate and load. Only the state and the few objects the requests are built from outlive this
 * function: the raw objects are garbage afterwards, as the webhook keeps only its state.
 */
function build(opts: ChildOptions): { state: ClusterState; pools: Pools; body: string } {
  let t = performance.now();
  const generated = generateCluster(opts.cluster);
  const generateMs = performance.now() - t;
  t = performance.now();
  const loaded = loadState(generated.objects);
  const loadMs = performance.now() - t;
  send({
    t: "loaded",
    generateMs,
    loadMs,
    counts: generated.counts,
    rejected: loaded.rejected.length,
    rejectedSample: loaded.rejected
      .slice(0, 3)
      .map((r) => `${r.kind}/${r.name}: ${r.errors.map((e) => `${e.path} ${e.reason}`).join("; ")}`),
  });
  if (loaded.rejected.length > 0) {
    throw new Error(`the generator made ${loaded.rejected.length} objects that Calico would reject`);
  }
  return { state: loaded.state, pools: requestPools(generated.refs), body: reviewBody(generated.refs) };
}

async function main(): Promise<void> {
  const opts = JSON.parse(process.argv[2] ?? "{}") as ChildOptions;
  rss("baseline");
  const { state, pools, body } = build(opts);
  await yieldToLoop();
  rss("loaded");

  if (opts.decideBudgetMs > 0) await decidePhase(state, pools, opts);
  if (opts.serve) await serve(state, body, opts.serve.tlsDir);
}

main().then(
  () => process.disconnect?.(),
  (e: unknown) => {
    send({ t: "error", message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    process.exitCode = 1;
    process.disconnect?.();
  },
);
