/**
 * The parent side of a scale run: fork bench/scale-child.ts, collect what it reports, and stop it
 * at its deadline. A decision that is still running at the deadline is recorded as "at least" its
 * age; everything measured before it is kept.
 */
import { fork, type ChildProcess } from "node:child_process";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { CHANGE_TYPES, type ChangeType, type ChildMessage, type ChildOptions } from "./protocol.js";

/**
 * `npm run bench` runs the compiled benchmark (dist-bench/), so what it measures is the compiled
 * engine in a plain node process; the tests run the TypeScript sources under tsx.
 */
const COMPILED = import.meta.url.endsWith(".js");
const CHILD = fileURLToPath(new URL(`./scale-child.${COMPILED ? "js" : "ts"}`, import.meta.url));

export interface ScaleRun {
  readonly label: string;
  loaded?: Extract<ChildMessage, { t: "loaded" }>;
  readonly rss: {
    baseline?: number;
    loaded?: number;
    indexed?: number;
    heapLoaded?: number;
    heapIndexed?: number;
  };
  firstDecideMs?: number;
  firstAllowed?: boolean;
  readonly samples: Record<ChangeType, number[]>;
  readonly unexpected: Record<ChangeType, { count: number; first?: string }>;
  warmup?: boolean;
  /** the decision (or load) running when the deadline stopped the child */
  stopped?: { readonly phase: string; readonly type?: ChangeType; readonly atLeastMs: number };
  serving?: Extract<ChildMessage, { t: "serving" }>;
  error?: string;
  /** budget of the decide phase, from the end of loading */
  readonly budgetMs: number;
  decideElapsedMs?: number;
}

export interface ScaleHandle {
  readonly run: ScaleRun;
  /** stop the servers (if serving) and wait for the child to exit; killed after `waitMs` */
  stop(waitMs?: number): Promise<void>;
}

export interface ScaleLimits {
  /** generating and loading the cluster */
  readonly loadTimeoutMs: number;
  /** after the budget, how long an in-flight decision may take before the child is stopped */
  readonly graceMs: number;
  readonly progress: (message: string) => void;
  /** write a V8 CPU profile of the child here (only when it exits by itself, not when stopped) */
  readonly cpuProfileDir?: string;
}

function emptyByType<T>(make: () => T): Record<ChangeType, T> {
  return Object.fromEntries(CHANGE_TYPES.map((t) => [t, make()])) as Record<ChangeType, T>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

export function runScale(label: string, options: ChildOptions, limits: ScaleLimits): Promise<ScaleHandle> {
  const run: ScaleRun = {
    label,
    rss: {},
    samples: emptyByType(() => []),
    unexpected: emptyByType(() => ({ count: 0 })),
    budgetMs: options.decideBudgetMs,
  };
  const child = fork(CHILD, [JSON.stringify(options)], {
    execArgv: [
      "--expose-gc",
      ...(COMPILED ? [] : ["--import", import.meta.resolve("tsx")]),
      ...(limits.cpuProfileDir ? ["--cpu-prof", "--cpu-prof-dir", limits.cpuProfileDir] : []),
    ],
    // stdout of the child must never reach ours (--json prints one object): send it to stderr.
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  child.stdout?.pipe(process.stderr);

  const started = performance.now();
  let loadedAt: number | undefined;
  let current: { phase: string; type?: ChangeType; at: number } = { phase: "load", at: started };
  let lastProgress = started;
  let timer: NodeJS.Timeout | undefined;

  return new Promise<ScaleHandle>((resolve) => {
    let settled = false;
    let stopping = false;
    const handle: ScaleHandle = {
      run,
      stop: async (waitMs = 10_000) => {
        stopping = true;
        if (timer) clearTimeout(timer);
        if (child.connected) child.send({ t: "stop" });
        const killer = setTimeout(() => child.kill("SIGKILL"), waitMs);
        await exited(child);
        clearTimeout(killer);
      },
    };
    const done = () => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (loadedAt !== undefined) run.decideElapsedMs = Math.round(performance.now() - loadedAt);
      resolve(handle);
    };
    const deadline = (ms: number, what: string) => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        const atLeastMs = Math.round(performance.now() - current.at);
        run.stopped = { phase: current.phase, ...(current.type && { type: current.type }), atLeastMs };
        limits.progress(
          `[${label}] ${what}: stopping the run; the ${current.phase} decision${current.type ? ` (${current.type})` : ""} has been running for ${(atLeastMs / 1000).toFixed(1)} s`,
        );
        child.kill("SIGKILL");
      }, ms);
    };
    deadline(limits.loadTimeoutMs, `no state after ${limits.loadTimeoutMs / 1000} s`);

    child.on("message", (m: ChildMessage) => {
      switch (m.t) {
        case "rss":
          run.rss[m.label] = m.bytes;
          if (m.label === "loaded") run.rss.heapLoaded = m.heapUsed;
          if (m.label === "indexed") run.rss.heapIndexed = m.heapUsed;
          break;
        case "loaded":
          run.loaded = m;
          loadedAt = performance.now();
          current = { phase: "first", at: loadedAt };
          limits.progress(
            `[${label}] ${Object.entries(m.counts)
              .map(([k, v]) => `${v} ${k}`)
              .join(", ")}; generated in ${m.generateMs.toFixed(0)} ms, loaded in ${m.loadMs.toFixed(0)} ms`,
          );
          if (options.decideBudgetMs > 0) {
            deadline(
              options.decideBudgetMs + limits.graceMs,
              `budget of ${options.decideBudgetMs / 1000} s over`,
            );
          }
          break;
        case "begin":
          current = { phase: m.phase, type: m.type, at: performance.now() };
          break;
        case "first":
          run.firstDecideMs = m.ms;
          run.firstAllowed = m.allowed;
          limits.progress(`[${label}] first decision (builds the indexes): ${m.ms.toFixed(1)} ms`);
          break;
        case "sample": {
          run.samples[m.type].push(m.ms);
          if (!m.ok) {
            const u = run.unexpected[m.type];
            u.count++;
            u.first ??= m.detail;
          }
          const now = performance.now();
          if (now - lastProgress > 10_000) {
            lastProgress = now;
            const n = CHANGE_TYPES.map((t) => run.samples[t].length).reduce((a, b) => a + b, 0);
            limits.progress(`[${label}] ${n} decisions measured`);
          }
          break;
        }
        case "decide-done":
          run.warmup = m.warmup;
          if (!options.serve) break;
          // Servers start in well under a second; a hang here is a bug, not a slow engine.
          deadline(30_000, "servers did not start within 30 s");
          break;
        case "serving":
          run.serving = m;
          done();
          break;
        case "error":
          run.error = m.message;
          break;
      }
    });
    child.on("exit", (code, signal) => {
      if (code !== 0 && !stopping && !run.stopped && !run.error) {
        run.error = `child exited with ${signal ?? code}`;
      }
      done();
    });
  });
}
