import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import type { ServerOptions as HttpsOptions } from "node:https";
import type { Logger as PinoLogger } from "pino";
import { handleReview, type ReviewDeps } from "./review-handler.js";

/**
 * An object and its old version each up to etcd's 1.5 MiB request limit, plus the AdmissionReview
 * envelope: anything larger is not a review the API server would send.
 */
export const BODY_LIMIT_BYTES = 3 * 1024 * 1024 + 512 * 1024;

export interface AppOptions {
  /** TLS for `/validate`; omitted only in tests that exercise the routes over plain HTTP */
  readonly https?: HttpsOptions;
  readonly logger?: PinoLogger | false;
}

function baseOptions(opts: AppOptions): FastifyServerOptions {
  return {
    logger: opts.logger ?? false,
    bodyLimit: BODY_LIMIT_BYTES,
    // Idle keep-alive connections are closed on shutdown; in-flight requests finish (SIGTERM path).
    forceCloseConnections: "idle",
    return503OnClosing: true,
  };
}

/**
 * The webhook: `POST /validate` only, not listening (the caller listens). Bodies are read as text
 * whatever their content type and parsed here, so every malformed body gets the same one-line 400.
 */
export function buildApp(deps: ReviewDeps, opts: AppOptions = {}): FastifyInstance {
  const app = (
    opts.https ? Fastify({ ...(baseOptions(opts) as object), https: opts.https }) : Fastify(baseOptions(opts))
  ) as FastifyInstance;
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
    const result = await handleReview(deps, body);
    return reply.code(result.status).send(result.payload);
  });
  return app;
}

export interface ProbeDeps {
  readonly ready: () => { ok: true } | { ok: false; reason: string };
  readonly metrics: () => Promise<{ contentType: string; body: string }>;
}

/** Liveness, readiness and Prometheus metrics on a separate plain-HTTP port. */
export function buildProbeApp(deps: ProbeDeps, opts: { logger?: PinoLogger | false } = {}): FastifyInstance {
  const app = Fastify({ logger: opts.logger ?? false, forceCloseConnections: "idle" }) as FastifyInstance;
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
