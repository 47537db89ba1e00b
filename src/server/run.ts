import { readFileSync } from "node:fs";
import type { Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import type { Logger as PinoLogger } from "pino";
import { nodeCoverageFindings } from "../checks/coverage.js";
import type { GuardConfig } from "../config/types.js";
import { runChecks } from "../decision/decide.js";
import type { ClusterState } from "../engine/state.js";
import type { StateSource } from "../cluster/state-source.js";
import { buildApp, buildProbeApp } from "./app.js";
import type { ConfigHolder } from "./config-holder.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { registerStateMetrics } from "./state-metrics.js";
import type { DecisionRecorder } from "./review-handler.js";
import { httpsOptions, watchTls, type TlsFiles } from "./tls.js";

export interface ServeOptions {
  readonly source: StateSource;
  readonly config: ConfigHolder;
  /** reloaded when it changes on disk (a mounted ConfigMap) */
  readonly configFile?: string;
  readonly tls: TlsFiles;
  readonly host: string;
  readonly port: number;
  readonly probePort: number;
  readonly record: DecisionRecorder;
  readonly logger: PinoLogger;
  /** flushes the audit log; called last on shutdown */
  readonly onClose?: () => Promise<void>;
  /** how often certificate and config files are polled */
  readonly watchIntervalMs?: number;
  /**
   * Shutdown drain: after /readyz turns 503, keep answering for at least `minMs` (so the Service
   * drops the pod before the listener closes), then until no review is in flight and none arrived
   * for `quietMs` (reviews queued behind a busy event loop are answered, not reset), at most `maxMs`.
   */
  readonly drain?: { readonly minMs: number; readonly quietMs: number; readonly maxMs: number };
}

export interface RunningServer {
  readonly port: number;
  readonly probePort: number;
  readonly app: FastifyInstance;
  readonly probe: FastifyInstance;
  readonly metrics: Metrics;
  /** stop accepting, finish in-flight reviews, stop the state source, flush the audit log */
  close(): Promise<void>;
}

function nodesWithoutHostEndpoint(source: StateSource, config: ConfigHolder): number {
  const current = config.current();
  if (!current || !source.isSynced()) return 0;
  const findings = nodeCoverageFindings(source.current(), current).filter((f) => f.severity === "violation");
  return new Set(findings.map((f) => f.node)).size;
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const { source, config, logger } = opts;
  const metrics = createMetrics({
    stateAgeSeconds: () => source.ageSeconds(),
    stateSynced: () => source.isSynced(),
    nodesWithoutHostEndpoint: () => nodesWithoutHostEndpoint(source, config),
  });
  registerStateMetrics(metrics.registry, source);
  const interval = opts.watchIntervalMs ?? 2000;

  const app = buildApp(
    { source, config, metrics, record: opts.record, log: logger },
    { https: httpsOptions(opts.tls), logger: false },
  );
  let draining = false;
  /**
   * Build the current state's verdicts ahead of the reviews: the first decision against a state
   * loaded from scratch evaluates every box of it (seconds on large clusters, docs/benchmark.md),
   * which would otherwise land on a write and its timeoutSeconds. Done before the first ready, and
   * then whenever the state changed (a derived state costs about one decision; a resync, the full
   * build — better now, between reviews, than inside one).
   */
  let warmedState: ClusterState | undefined;
  let warmedConfig: GuardConfig | undefined;
  const warm = (current: GuardConfig) => {
    const state = source.current();
    if (state === warmedState && current === warmedConfig) return;
    const started = Date.now();
    try {
      runChecks(state, state, current);
      const ms = Date.now() - started;
      if (warmedState === undefined) logger.info({ ms }, "verdicts of the cluster state built");
      else logger.debug({ ms }, "verdicts of the changed cluster state built");
    } catch (error) {
      // decide() reports its own errors per review; this is only a head start.
      logger.error({ err: error }, "building the verdicts of the cluster state failed");
    }
    warmedState = state;
    warmedConfig = current;
  };
  const probe = buildProbeApp({
    ready: () => {
      if (draining) return { ok: false, reason: "shutting down" };
      if (!source.isSynced()) return { ok: false, reason: "cluster state not synced yet" };
      const current = config.current();
      if (!current) return { ok: false, reason: `no valid config: ${config.error() ?? "not loaded"}` };
      const problem = source.problem?.();
      if (problem) return { ok: false, reason: problem.reason };
      if (warmedState === undefined) warm(current);
      return { ok: true };
    },
    metrics: async () => ({
      contentType: metrics.registry.contentType,
      body: await metrics.registry.metrics(),
    }),
  });

  // While draining, ask clients not to reuse connections: the next request opens a new one elsewhere.
  let active = 0;
  let lastActivity = Date.now();
  app.addHook("onRequest", async () => {
    active++;
    lastActivity = Date.now();
  });
  app.addHook("onResponse", async () => {
    active--;
    lastActivity = Date.now();
  });
  app.addHook("onSend", async (_req, reply) => {
    if (draining) void reply.header("connection", "close");
  });
  const drain = async () => {
    const { minMs, quietMs, maxMs } = opts.drain ?? { minMs: 0, quietMs: 0, maxMs: 0 };
    const started = Date.now();
    for (;;) {
      const now = Date.now();
      const settled = active === 0 && now - lastActivity >= quietMs && now - started >= minMs;
      if (settled || now - started >= maxMs) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const stopTls = watchTls(
    app.server as unknown as HttpsServer,
    opts.tls,
    (error) =>
      error
        ? logger.error({ err: error }, "TLS reload failed; keeping the previous certificate")
        : logger.info("TLS certificate reloaded"),
    interval,
  );
  // The config file is polled by content. (fs.watchFile takes its baseline stat asynchronously, so a
  // change right after start could become the baseline and be missed; a mounted ConfigMap is small.)
  let configText = opts.configFile ? readConfigText(opts.configFile) : undefined;
  const reloadConfig = () => {
    if (!opts.configFile) return;
    const text = readConfigText(opts.configFile);
    if (text === configText) return;
    configText = text;
    if (text === undefined) {
      metrics.configReloadFailures.inc();
      logger.error({ file: opts.configFile }, "config file unreadable; keeping the previous config");
      return;
    }
    const errors = config.load(text);
    if (errors.length > 0) {
      metrics.configReloadFailures.inc();
      logger.error({ file: opts.configFile, errors }, "invalid config; keeping the previous config");
    } else logger.info({ file: opts.configFile }, "config reloaded");
  };
  const configTimer = opts.configFile ? setInterval(reloadConfig, interval) : undefined;
  configTimer?.unref();
  const warmTimer = setInterval(() => {
    const current = config.current();
    if (!draining && warmedState !== undefined && source.isSynced() && current) warm(current);
  }, interval);
  warmTimer.unref();

  await app.listen({ host: opts.host, port: opts.port });
  await probe.listen({ host: opts.host, port: opts.probePort });
  const port = (app.server.address() as AddressInfo).port;
  const probePort = (probe.server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      draining = true;
      await drain();
      stopTls();
      if (configTimer) clearInterval(configTimer);
      clearInterval(warmTimer);
      // fastify's close stops accepting and waits for in-flight requests before resolving.
      await app.close();
      await probe.close();
      await source.stop();
      await opts.onClose?.();
    })());
  return { port, probePort, app, probe, metrics, close };
}

function readConfigText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}
