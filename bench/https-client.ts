/**
 * A closed-loop HTTPS load driver: `concurrency` workers on one keep-alive node:https Agent, each
 * sending the next request when its previous answer has arrived, until `requests` have been sent
 * or the time budget is over. Requests still in flight at the deadline are aborted and reported
 * (their latency is only known to be at least their age).
 */
import { Agent, request } from "node:https";
import { performance } from "node:perf_hooks";
import { summarize, type Summary } from "./stats.js";

export interface LoadOptions {
  readonly port: number;
  readonly ca: string;
  readonly body: string;
  readonly concurrency: number;
  readonly requests: number;
  readonly budgetMs: number;
  /** checked on every answer; a failed check counts the request as an error */
  readonly check?: (status: number, body: string) => string | undefined;
}

export interface LoadResult extends Summary {
  readonly rps: number | null;
  readonly errors: number;
  readonly firstError?: string;
  /** in flight when the budget ran out; aborted */
  readonly aborted: number;
  /** the oldest aborted request's age: a lower bound for its latency */
  readonly abortedAtLeastMs: number | null;
  readonly truncated: boolean;
  readonly elapsedMs: number;
}

function post(
  agent: Agent,
  opts: LoadOptions,
  live: Set<() => void>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: "127.0.0.1",
        port: opts.port,
        path: "/validate",
        method: "POST",
        ca: opts.ca,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(opts.body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          live.delete(abort);
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") });
        });
        res.on("error", reject);
      },
    );
    const abort = () => req.destroy(new Error("aborted at the time budget"));
    live.add(abort);
    req.on("error", (e) => {
      live.delete(abort);
      reject(e);
    });
    req.end(opts.body);
  });
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency, ca: opts.ca });
  const samples: number[] = [];
  const live = new Set<() => void>();
  const inFlightSince = new Map<number, number>();
  let sent = 0;
  let errors = 0;
  let aborted = 0;
  let oldestAborted: number | null = null;
  let firstError: string | undefined;
  let budgetOver = false;
  const started = performance.now();
  const timer = setTimeout(() => {
    budgetOver = true;
    const now = performance.now();
    for (const since of inFlightSince.values()) oldestAborted = Math.max(oldestAborted ?? 0, now - since);
    aborted = live.size;
    for (const abort of [...live]) abort();
  }, opts.budgetMs);

  const worker = async () => {
    while (!budgetOver && sent < opts.requests) {
      const id = sent++;
      const t = performance.now();
      inFlightSince.set(id, t);
      try {
        const res = await post(agent, opts, live);
        const ms = performance.now() - t;
        const problem =
          res.status !== 200
            ? `HTTP ${res.status}: ${res.body.slice(0, 200)}`
            : opts.check?.(res.status, res.body);
        if (problem) {
          errors++;
          firstError ??= problem;
        } else samples.push(ms);
      } catch (e) {
        if (!budgetOver) {
          errors++;
          firstError ??= e instanceof Error ? e.message : String(e);
        }
      } finally {
        inFlightSince.delete(id);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  clearTimeout(timer);
  const elapsedMs = performance.now() - started;
  agent.destroy();
  const summary = summarize(samples);
  return {
    ...summary,
    rps: summary.n === 0 ? null : Math.round((summary.n / (elapsedMs / 1000)) * 10) / 10,
    errors,
    ...(firstError !== undefined && { firstError }),
    aborted,
    abortedAtLeastMs: oldestAborted === null ? null : Math.round(oldestAborted),
    truncated: summary.n + errors < opts.requests,
    elapsedMs: Math.round(elapsedMs),
  };
}
