import { readFileSync } from "node:fs";
import type { Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import type { Logger as PinoLogger } from "pino";
import { nodeCoverageFindings } from "../checks/coverage.js";
import type { GuardConfig } from "../config/types.js";
import type { StateSource } from "../cluster/state-source.js";
import { buildApp, buildProbeApp, type Timeouts } from "./app.js";
import { checksOff, LOCKOUT_CHECKS, type ConfigHolder } from "./config-holder.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { registerStateMetrics } from "./state-metrics.js";
import type { DecisionRecorder } from "./review-handler.js";
import { VerdictWarmer } from "./warmer.js";
import { httpsOptions, watchTls, type TlsFiles, type TlsWatch } from "./tls.js";

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
  /** request and keep-alive timeouts of both ports (default DEFAULT_TIMEOUTS in app.ts) */
  readonly timeouts?: Timeouts;
  /** mutual TLS: the client certificate must name this CN or SAN (the CA is `tls.clientCaFile`) */
  readonly clientName?: string;
  /** the audit sink's health, exported as metrics */
  readonly audit?: { readonly failures: () => number; readonly fallback: () => boolean };
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

/**
 * A config that switches lock-out checks off is accepted - a cluster may really want only some of
 * them, or a quiet period - but never silently: logged at every load, loudest when all are off,
 * and exported as `hostguard_config_checks_off` (alert HostguardChecksOff).
 */
function reportChecksOff(config: GuardConfig | undefined, logger: PinoLogger): void {
  const off = config ? checksOff(config) : [];
  if (off.length === LOCKOUT_CHECKS)
    logger.error(
      { checksOff: off },
      "the guard config turns every lock-out check off: only Calico validity is checked, nothing stops a lock-out",
    );
  else if (off.length > 0) logger.warn({ checksOff: off }, "the guard config turns some lock-out checks off");
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const { source, config, logger } = opts;
  // Set once the HTTPS server exists (the app needs the metrics first).
  const tls: { watch?: TlsWatch } = {};
  const metrics = createMetrics({
    stateAgeSeconds: () => source.ageSeconds(),
    stateSynced: () => source.isSynced(),
    nodesWithoutHostEndpoint: () => nodesWithoutHostEndpoint(source, config),
    configReloadFailing: () => config.error() !== undefined,
    checksOff: () => {
      const current = config.current();
      return current ? checksOff(current).length : 0;
    },
    certificateExpiry: () => tls.watch?.expiry(),
    auditWriteFailures: opts.audit?.failures,
    auditFallback: opts.audit?.fallback,
  });
  registerStateMetrics(metrics.registry, source);
  const interval = opts.watchIntervalMs ?? 2000;
  reportChecksOff(config.current(), logger);

  const app = buildApp(
    { source, config, metrics, record: opts.record, log: logger },
    { https: httpsOptions(opts.tls), logger: false, timeouts: opts.timeouts, clientName: opts.clientName },
  );
  let draining = false;
  // The current state's verdicts are built in slices between reviews (server/warmer.ts), never
  // inside a probe or a review.
  const warmer = new VerdictWarmer(source, () => config.current(), logger);
  const probe = buildProbeApp(
    {
      ready: () => {
        if (draining) return { ok: false, reason: "shutting down" };
        if (!source.isSynced()) return { ok: false, reason: "cluster state not synced yet" };
        const current = config.current();
        if (!current) return { ok: false, reason: `no valid config: ${config.error() ?? "not loaded"}` };
        const problem = source.problem?.();
        if (problem) return { ok: false, reason: problem.reason };
        if (!warmer.ready) {
          warmer.kick();
          return { ok: false, reason: "building the verdicts of the cluster state" };
        }
        return { ok: true };
      },
      metrics: async () => ({
        contentType: metrics.registry.contentType,
        body: await metrics.registry.metrics(),
      }),
    },
    { timeouts: opts.timeouts },
  );

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
  tls.watch = watchTls(
    app.server as unknown as HttpsServer,
    opts.tls,
    (error) => {
      if (!error) return logger.info("TLS certificate reloaded");
      metrics.tlsReloadFailures.inc();
      logger.error({ err: error }, "TLS reload failed; keeping the previous certificate");
    },
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
      config.reject("the config file cannot be read");
      logger.error({ file: opts.configFile }, "config file unreadable; keeping the previous config");
      return;
    }
    const errors = config.load(text);
    if (errors.length > 0) {
      metrics.configReloadFailures.inc();
      logger.error({ file: opts.configFile, errors }, "invalid config; keeping the previous config");
    } else {
      logger.info({ file: opts.configFile }, "config reloaded");
      reportChecksOff(config.current(), logger);
    }
  };
  const configTimer = opts.configFile ? setInterval(reloadConfig, interval) : undefined;
  configTimer?.unref();
  const warmTimer = setInterval(() => {
    if (!draining) warmer.kick();
  }, interval);
  warmer.kick();
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
      tls.watch?.stop();
      if (configTimer) clearInterval(configTimer);
      clearInterval(warmTimer);
      warmer.stop();
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
