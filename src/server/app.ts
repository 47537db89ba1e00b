import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import type { ServerOptions as HttpsOptions } from "node:https";
import type { TLSSocket } from "node:tls";
import type { Logger as PinoLogger } from "pino";
import { capText } from "../admission/bounded.js";
import { handleReview, type ReviewDeps } from "./review-handler.js";
import { certificateNames } from "./tls.js";

/**
 * An object and its old version each up to etcd's 1.5 MiB request limit, plus the AdmissionReview
 * envelope: anything larger is not a review the API server would send.
 */
export const BODY_LIMIT_BYTES = 3 * 1024 * 1024 + 512 * 1024;

/**
 * A connection must deliver its whole request (headers and body) within `requestMs`, and the TLS
 * handshake within the same time; an idle kept-alive connection is closed after `keepAliveMs`.
 * Without them a client that sends headers and stalls holds its connection forever (3,000 such
 * connections were held for 80 s in the issue-13 probe).
 */
export interface Timeouts {
  readonly requestMs: number;
  readonly keepAliveMs: number;
}

/** The API server sends a review of at most 3.5 MiB at once; 10 s is ample on any cluster network. */
export const DEFAULT_TIMEOUTS: Timeouts = { requestMs: 10_000, keepAliveMs: 72_000 };

export interface AppOptions {
  /** TLS for `/validate`; omitted only in tests that exercise the routes over plain HTTP */
  readonly https?: HttpsOptions;
  readonly logger?: PinoLogger | false;
  readonly timeouts?: Timeouts;
  /**
   * Mutual TLS: the client certificate (already verified against the client CA during the
   * handshake) must name this CN or DNS/URI SAN, else the request gets a 403.
   */
  readonly clientName?: string;
}

function baseOptions(opts: AppOptions): FastifyServerOptions {
  const timeouts = opts.timeouts ?? DEFAULT_TIMEOUTS;
  return {
    logger: opts.logger ?? false,
    bodyLimit: BODY_LIMIT_BYTES,
    // Idle keep-alive connections are closed on shutdown; in-flight requests finish (SIGTERM path).
    forceCloseConnections: "idle",
    return503OnClosing: true,
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
  };
}

/**
 * Node checks `requestTimeout` every `connectionsCheckingInterval` (30 s by default, longer than
 * the timeout itself); the handshake has its own timeout (120 s by default).
 */
function serverTimeouts(timeouts: Timeouts): HttpsOptions {
  return {
    requestTimeout: timeouts.requestMs,
    headersTimeout: timeouts.requestMs,
    connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(timeouts.requestMs / 4))),
    handshakeTimeout: timeouts.requestMs,
  };
}

/**
 * The webhook: `POST /validate` only, not listening (the caller listens). Bodies are read as text
 * whatever their content type and parsed here, so every malformed body gets the same one-line 400.
 */
export function buildApp(deps: ReviewDeps, opts: AppOptions = {}): FastifyInstance {
  const https = opts.https && { ...serverTimeouts(opts.timeouts ?? DEFAULT_TIMEOUTS), ...opts.https };
  const app = (
    https ? Fastify({ ...(baseOptions(opts) as object), https }) : Fastify(baseOptions(opts))
  ) as FastifyInstance;
  const clientName = opts.clientName;
  if (clientName !== undefined) {
    app.addHook("onRequest", async (req, reply) => {
      const socket = req.raw.socket as Partial<TLSSocket>;
      const names = socket.getPeerCertificate ? certificateNames(socket.getPeerCertificate()) : [];
      if (names.includes(clientName)) return;
      deps.log.warn(
        { names: names.map((n) => capText(n, 256)).slice(0, 20) },
        "refused a client certificate that does not name the configured client",
      );
      return reply.code(403).send({
        error: `the client certificate does not name ${clientName} (CN or SAN); see --client-cn`,
      });
    });
  }
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, (_req, body, done) => done(null, body));
  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, _req, reply) => {
    const status =
      error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    const message =
      error.code === "FST_ERR_CTP_BODY_TOO_LARGE"
        ? `body larger than ${BODY_LIMIT_BYTES} bytes (an object and its old version of at most 1.5 MiB each)`
        : error.message.split("\n")[0];
    void reply.code(status).send({ error: message });
  });
  app.setNotFoundHandler(
    (req, reply) =>
      void reply
        .code(404)
        .send({ error: `no route ${req.method} ${req.url}; the webhook is POST /validate` }),
  );
  app.post("/validate", async (req, reply) => {
    let body: unknown;
    try {
      body = JSON.parse(typeof req.body === "string" ? req.body : "");
    } catch (e) {
      return reply
        .code(400)
        .send({ error: `body is not JSON: ${e instanceof Error ? e.message : String(e)}` });
    }
    const query = req.query as { timeout?: unknown } | undefined;
    const result = await handleReview(deps, body, { timeout: query?.timeout });
    return reply.code(result.status).send(result.payload);
  });
  return app;
}

export interface ProbeDeps {
  readonly ready: () => { ok: true } | { ok: false; reason: string };
  readonly metrics: () => Promise<{ contentType: string; body: string }>;
}

/** Liveness, readiness and Prometheus metrics on a separate plain-HTTP port. */
export function buildProbeApp(
  deps: ProbeDeps,
  opts: { logger?: PinoLogger | false; timeouts?: Timeouts } = {},
): FastifyInstance {
  const timeouts = opts.timeouts ?? DEFAULT_TIMEOUTS;
  const app = Fastify({
    logger: opts.logger ?? false,
    forceCloseConnections: "idle",
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
  }) as FastifyInstance;
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_req, reply) => {
    const ready = deps.ready();
    return ready.ok
      ? { status: "ready" }
      : reply.code(503).send({ status: "not ready", reason: ready.reason });
  });
  app.get("/metrics", async (_req, reply) => {
    const m = await deps.metrics();
    return reply.header("content-type", m.contentType).send(m.body);
  });
  return app;
}
