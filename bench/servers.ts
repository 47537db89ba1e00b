/**
 * The two HTTPS servers of the latency comparison, with the same TLS options and the same body
 * limit: the real webhook (`buildApp` over a static state, default config, no-op audit recorder)
 * and a fastify handler that parses the body and admits without looking at it.
 */
import type { AddressInfo } from "node:net";
import Fastify, { type FastifyInstance } from "fastify";
import { StaticStateSource } from "../src/cluster/state-source.js";
import { defaultConfig } from "../src/config/index.js";
import type { ClusterState } from "../src/engine/state.js";
import { BODY_LIMIT_BYTES, buildApp } from "../src/server/app.js";
import { ConfigHolder } from "../src/server/config-holder.js";
import { createMetrics } from "../src/server/metrics.js";
import { httpsOptions, type TlsFiles } from "../src/server/tls.js";

const quiet = { info() {}, warn() {}, error() {} };

export interface BenchServers {
  readonly realPort: number;
  readonly noopPort: number;
  close(): Promise<void>;
}

function noopApp(tls: TlsFiles): FastifyInstance {
  const app = Fastify({ https: httpsOptions(tls), logger: false, bodyLimit: BODY_LIMIT_BYTES });
  app.post("/validate", async (req) => {
    const uid = (req.body as { request?: { uid?: string } } | undefined)?.request?.uid ?? "";
    return { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid, allowed: true } };
  });
  return app as unknown as FastifyInstance;
}

export async function startServers(state: ClusterState, tls: TlsFiles): Promise<BenchServers> {
  const source = new StaticStateSource(state);
  const metrics = createMetrics({
    stateAgeSeconds: () => 0,
    stateSynced: () => true,
    nodesWithoutHostEndpoint: () => 0,
  });
  const real = buildApp(
    { source, config: new ConfigHolder(defaultConfig()), metrics, record: () => {}, log: quiet },
    { https: httpsOptions(tls), logger: false },
  );
  const noop = noopApp(tls);
  await real.listen({ host: "127.0.0.1", port: 0 });
  await noop.listen({ host: "127.0.0.1", port: 0 });
  return {
    realPort: (real.server.address() as AddressInfo).port,
    noopPort: (noop.server.address() as AddressInfo).port,
    close: async () => {
      await real.close();
      await noop.close();
    },
  };
}
