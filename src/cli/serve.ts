import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import pino from "pino";
import { toAuditRecord } from "../audit/from-decision.js";
import { createAuditSink } from "../audit/sink.js";
import { hasClusterConfig } from "../cluster/cluster-config.js";
import type { LogLevel } from "../cluster/log.js";
import { StaticStateSource, type StateSource } from "../cluster/state-source.js";
import { defaultConfig } from "../config/index.js";
import { ConfigHolder } from "../server/config-holder.js";
import { writeDevCertificate } from "../server/dev-cert.js";
import { DEFAULT_TIMEOUTS } from "../server/app.js";
import { startServer } from "../server/run.js";
import type { TlsFiles } from "../server/tls.js";
import { UsageError, type CliIo } from "./io.js";
import { describeRejected, loadStateFromPath } from "./state-input.js";

export interface ServeOptions {
  readonly config?: string;
  readonly state?: string;
  readonly kubeconfig?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  /** default: 127.0.0.1 in development mode (no cluster, or no --tls-cert), else 0.0.0.0 */
  readonly host?: string;
  readonly port: string;
  readonly probePort: string;
  readonly auditFile?: string;
  readonly auditMaxBytes?: string;
  readonly auditMaxFiles?: string;
  readonly auditCompress?: boolean;
  readonly auditIncludeObjects?: boolean;
  readonly shutdownDelay: string;
  readonly requestTimeout: string;
  readonly clientCa?: string;
  readonly clientCn?: string;
  readonly relistInterval?: string;
}

/** `--relist-interval`, else $HOSTGUARD_RELIST_INTERVAL_SECONDS, else 600 s; 0 disables the drift relist. */
export function relistIntervalMs(flag: string | undefined, env: NodeJS.ProcessEnv): number {
  const text = flag ?? env.HOSTGUARD_RELIST_INTERVAL_SECONDS ?? "600";
  const seconds = Number(text);
  if (text.trim() === "" || !Number.isFinite(seconds) || seconds < 0)
    throw new UsageError(`--relist-interval must be seconds >= 0 (0 disables it), got "${text}"`);
  return seconds * 1000;
}

/**
 * The repository's example cluster: served when there is no cluster to read (fresh clone, `npm start`).
 * Relative to the package root, which is two levels up from src/cli/ and from dist/cli/ alike.
 */
export const EXAMPLE_CLUSTER = resolve(dirname(fileURLToPath(import.meta.url)), "../../examples/cluster");

function port(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`${flag} must be a port number, got "${text}"`);
  return n;
}

/**
 * `hostguard serve`: the webhook. State comes from --state, else from the cluster (--kubeconfig,
 * in-cluster service account, KUBECONFIG or ~/.kube/config), else from examples/cluster. TLS comes
 * from --tls-cert/--tls-key, else a development certificate is generated. Audit records go to
 * stdout (or --audit-file), logs to stderr. Resolves when the server has stopped after SIGTERM/SIGINT.
 */
export async function runServe(opts: ServeOptions, io: CliIo): Promise<number> {
  const logger = pino(
    { name: "hostguard", level: process.env.HOSTGUARD_LOG_LEVEL ?? "info" },
    pino.destination(2),
  );
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined))
    throw new UsageError("--tls-cert and --tls-key go together");
  if (opts.clientCn !== undefined && opts.clientCa === undefined)
    throw new UsageError(
      "--client-cn needs --client-ca (the CA that signs the API server's client certificate)",
    );
  const requestTimeout = Number(opts.requestTimeout);
  if (!Number.isFinite(requestTimeout) || requestTimeout <= 0)
    throw new UsageError(`--request-timeout must be seconds > 0, got "${opts.requestTimeout}"`);

  const config = new ConfigHolder(opts.config ? undefined : defaultConfig());
  if (opts.config) {
    let text: string;
    try {
      text = readFileSync(opts.config, "utf8");
    } catch (e) {
      throw new UsageError(
        `cannot read config ${opts.config}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      );
    }
    const errors = config.load(text);
    // Not fatal: the webhook starts not-ready and picks up a fixed file (a ConfigMap update).
    if (errors.length > 0)
      logger.error({ file: opts.config, errors }, "invalid config: not ready until it is fixed");
  }

  let source: StateSource;
  let development = false;
  if (opts.state) {
    const loaded = loadStateFromPath(opts.state);
    for (const line of describeRejected(loaded)) io.err(line);
    source = new StaticStateSource(loaded.state);
  } else if (hasClusterConfig(process.env, opts.kubeconfig)) {
    const relist = relistIntervalMs(opts.relistInterval, process.env);
    const { createClusterSource, ClusterConfigError } = await import("../cluster/informer-source.js");
    try {
      source = createClusterSource({
        kubeconfigPath: opts.kubeconfig,
        relistIntervalMs: relist,
        logger: (level: LogLevel, msg: string, fields: Record<string, unknown>) => logger[level](fields, msg),
      });
    } catch (e) {
      if (e instanceof ClusterConfigError) throw new UsageError(e.message);
      throw e;
    }
  } else {
    const loaded = loadStateFromPath(EXAMPLE_CLUSTER);
    source = new StaticStateSource(loaded.state);
    development = true;
    io.err(`hostguard: no cluster configuration found: serving the example cluster ${EXAMPLE_CLUSTER}`);
  }

  let tls: TlsFiles;
  if (opts.tlsCert && opts.tlsKey) tls = { certFile: opts.tlsCert, keyFile: opts.tlsKey };
  else {
    development = true;
    // mkdtemp: a fresh directory only this user can read (0700), removed when the process exits
    // (after SIGTERM/SIGINT too: the server then stops and the process exits normally).
    const dir = mkdtempSync(join(tmpdir(), "hostguard-dev-cert-"));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    tls = await writeDevCertificate(dir);
    io.err(
      `hostguard: no --tls-cert given: generated a development certificate for localhost and 127.0.0.1 in ${dir}`,
    );
  }
  if (opts.clientCa) tls = { ...tls, clientCaFile: opts.clientCa };
  // The development certificate is valid for localhost only, and the example cluster is no cluster:
  // nothing outside this machine should reach such a server unless --host says so.
  const host = opts.host ?? (development ? "127.0.0.1" : "0.0.0.0");

  const count = (text: string | undefined, flag: string): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1)
      throw new UsageError(`${flag} must be a whole number >= 1, got "${text}"`);
    return n;
  };
  const sink = createAuditSink({
    file: opts.auditFile,
    maxBytes: count(opts.auditMaxBytes, "--audit-max-bytes"),
    maxFiles: count(opts.auditMaxFiles, "--audit-max-files"),
    compress: opts.auditCompress === true,
  });
  const includeObjects = opts.auditIncludeObjects === true;
  const delay = Number(opts.shutdownDelay);
  if (!Number.isFinite(delay) || delay < 0)
    throw new UsageError(`--shutdown-delay must be seconds >= 0, got "${opts.shutdownDelay}"`);

  await source.start();
  const server = await startServer({
    source,
    config,
    configFile: opts.config,
    tls,
    host,
    port: port(opts.port, "--port"),
    probePort: port(opts.probePort, "--probe-port"),
    record: (decision, context) => sink.write(toAuditRecord({ ...context, decision, includeObjects })),
    logger,
    onClose: () => sink.close(),
    drain: { minMs: delay * 1000, quietMs: 200, maxMs: delay * 1000 + 20_000 },
    timeouts: { requestMs: requestTimeout * 1000, keepAliveMs: DEFAULT_TIMEOUTS.keepAliveMs },
    clientName: opts.clientCn,
    audit: { failures: () => sink.stats().failures, fallback: () => sink.stats().fallback },
  });
  io.err(
    `hostguard: webhook on https://${host}:${server.port}/validate, probes and metrics on http://${host}:${server.probePort}/ (healthz, readyz, metrics)`,
  );

  // SIGTERM: stop accepting, finish in-flight reviews, flush the audit log, exit 0.
  await new Promise<void>((done) => {
    const stop = (signal: string) => {
      logger.info({ signal }, "shutting down");
      server.close().then(done, (e: unknown) => {
        logger.error({ err: e }, "error while shutting down");
        done();
      });
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  await new Promise<void>((done) => logger.flush(() => done()));
  return 0;
}

export function registerServe(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command("serve")
    .description("run the admission webhook (HTTPS /validate) with probes and metrics on a plain-HTTP port")
    .option(
      "--config <file>",
      "guard config YAML (reloaded when it changes; default: profile rancher, enforce)",
    )
    .option("--state <path>", "serve a fixed state from YAML files instead of a cluster")
    .option(
      "--kubeconfig <file>",
      "kubeconfig to read the cluster state (default: in-cluster, KUBECONFIG, ~/.kube/config)",
    )
    .option("--tls-cert <file>", "serving certificate (PEM), reloaded when it changes")
    .option("--tls-key <file>", "serving key (PEM)")
    .option(
      "--host <address>",
      "address to listen on (default: 0.0.0.0; 127.0.0.1 with no cluster or no --tls-cert)",
    )
    .option("--port <n>", "HTTPS port of /validate", "8443")
    .option("--probe-port <n>", "plain-HTTP port of /healthz, /readyz and /metrics", "8080")
    .option("--audit-file <file>", "write audit records to this file (size-rotated) instead of stdout")
    .option("--audit-max-bytes <n>", "rotate the audit file at this size (default 50 MiB)")
    .option("--audit-max-files <n>", "rotated audit files to keep (default 5)")
    .option("--audit-compress", "gzip rotated audit files")
    .option(
      "--audit-include-objects",
      "include the objects in audit records (managedFields and last-applied stripped)",
    )
    .option(
      "--relist-interval <seconds>",
      "list every kind afresh this often to catch drift from the API server (default 600, or $HOSTGUARD_RELIST_INTERVAL_SECONDS; 0 disables)",
    )
    .option("--shutdown-delay <seconds>", "on SIGTERM, keep answering this long after /readyz turns 503", "3")
    .option(
      "--request-timeout <seconds>",
      "a connection must complete its TLS handshake, and a request arrive in full, within this time",
      "10",
    )
    .option(
      "--client-ca <file>",
      "mutual TLS: require a client certificate signed by a CA in this PEM file (reloaded when it changes)",
    )
    .option(
      "--client-cn <name>",
      "mutual TLS: the client certificate must name this CN or SAN (403 otherwise)",
    )
    .action(async (opts: ServeOptions) => setExit(await runServe(opts, io)));
}
