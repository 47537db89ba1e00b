/**
 * Plain GETs against the API server with the KubeConfig's credentials: discovery and list requests.
 *
 * Why not client-node's generated clients: they deserialize typed objects (a Node's timestamps become
 * `Date`s, unknown fields are dropped), while the engine's `normalize` wants the JSON the API server
 * sent, and the informers want the list's own `apiVersion`/`kind`/`resourceVersion`. Auth, CA and
 * client certificates still come from client-node (`applyToHTTPSOptions`), so every kubeconfig form
 * it supports (token, token file, exec plugin, client cert, proxy) works here too.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest, type RequestOptions } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";

/** A failed request: the HTTP status and the Status `reason` when the API server sent one. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly statusCode?: number,
    readonly reason?: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export function statusCodeOf(e: unknown): number | undefined {
  if (typeof e !== "object" || e === null) return undefined;
  const o = e as { statusCode?: unknown; code?: unknown };
  if (typeof o.statusCode === "number") return o.statusCode;
  // client-node's Watch puts the HTTP status on `statusCode`; a watch ERROR event's Status has `code`.
  return typeof o.code === "number" ? o.code : undefined;
}

export type Query = Readonly<Record<string, string | number | undefined>>;

export type ApiGet = (path: string, query?: Query) => Promise<unknown>;

/** The `message` of a Kubernetes Status body, else the HTTP reason phrase. */
function failure(path: string, res: IncomingMessage, body: string): ApiError {
  let message = res.statusMessage ?? "";
  let reason: string | undefined;
  try {
    const status = JSON.parse(body) as { kind?: unknown; message?: unknown; reason?: unknown };
    if (status.kind === "Status") {
      if (typeof status.message === "string" && status.message !== "") message = status.message;
      if (typeof status.reason === "string") reason = status.reason;
    }
  } catch {
    // not JSON (a proxy's HTML error page): keep the reason phrase
  }
  const line = message.split("\n")[0] ?? "";
  return new ApiError(
    `GET ${path}: HTTP ${res.statusCode ?? "?"}${line ? `: ${line}` : ""}`,
    res.statusCode,
    reason,
  );
}

/**
 * A GET function for one KubeConfig. Resolves with the parsed JSON body of a 2xx answer; rejects with an
 * ApiError (carrying the status code) otherwise, or when `timeoutMs` passes or `signal` aborts.
 */
export function makeApiGet(kc: KubeConfig, opts: { timeoutMs: number; signal?: AbortSignal }): ApiGet {
  return async (path, query = {}) => {
    const cluster = kc.getCurrentCluster();
    if (cluster === null) throw new ApiError("no current cluster in the kubeconfig");
    const url = new URL(cluster.server.replace(/\/+$/, "") + path);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const options: RequestOptions = { headers: {} };
    await kc.applyToHTTPSOptions(options);
    const request = url.protocol === "http:" ? httpRequest : httpsRequest;
    return new Promise<unknown>((resolve, reject) => {
      const req = request(
        url,
        {
          method: "GET",
          agent: options.agent,
          auth: options.auth,
          headers: { ...options.headers, accept: "application/json" },
          timeout: opts.timeoutMs,
          signal: opts.signal,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", reject);
          res.on("end", () => {
            const body = Buffer.concat(chunks).toString("utf8");
            const status = res.statusCode ?? 0;
            if (status < 200 || status >= 300) return reject(failure(path, res, body));
            try {
              resolve(JSON.parse(body) as unknown);
            } catch {
              reject(new ApiError(`GET ${path}: HTTP ${status} but the body is not JSON`, status));
            }
          });
        },
      );
      req.on("timeout", () =>
        req.destroy(new ApiError(`GET ${path}: no answer within ${opts.timeoutMs} ms`)),
      );
      req.on("error", (e: Error) =>
        reject(e instanceof ApiError ? e : new ApiError(`GET ${url.origin}${path}: ${e.message}`)),
      );
      req.end();
    });
  };
}
