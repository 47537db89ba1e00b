/** The webhook server itself accepts the certificate certs/make-certs.sh makes, as the API server would connect. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { test } from "node:test";
import pino from "pino";
import { StaticStateSource } from "../../src/cluster/state-source.js";
import { defaultConfig } from "../../src/config/index.js";
import { ClusterState } from "../../src/engine/state.js";
import { ConfigHolder } from "../../src/server/config-holder.js";
import { startServer } from "../../src/server/run.js";
import { FIXTURES_DIR } from "../helpers/shared.js";
import { NO_OPENSSL_MESSAGE, OPENSSL_AVAILABLE, makeCerts, removeDir, tempDir } from "./workspace.js";

test(
  "startServer with the certs/ pair answers a review over TLS for hostguard.hostguard.svc",
  { skip: OPENSSL_AVAILABLE ? false : NO_OPENSSL_MESSAGE },
  async () => {
    const root = tempDir("certs-server");
    const out = join(root, "out");
    try {
      const run = makeCerts(["--out", out]);
      assert.equal(run.status, 0, run.stderr);
      const server = await startServer({
        source: new StaticStateSource(ClusterState.empty()),
        config: new ConfigHolder(defaultConfig()),
        tls: { certFile: join(out, "tls.crt"), keyFile: join(out, "tls.key") },
        host: "127.0.0.1",
        port: 0,
        probePort: 0,
        record: () => {},
        logger: pino({ level: "silent" }),
      });
      try {
        const body = readFileSync(join(FIXTURES_DIR, "admission/globalnetworkset-create-apply.json"));
        const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
          const req = request(
            {
              host: "127.0.0.1",
              port: server.port,
              path: "/validate?timeout=5s",
              method: "POST",
              ca: readFileSync(join(out, "ca.crt")),
              servername: "hostguard.hostguard.svc",
              headers: { "content-type": "application/json" },
            },
            (r) => {
              let text = "";
              r.on("data", (c: Buffer) => (text += c.toString()));
              r.on("end", () =>
                resolve({
                  status: r.statusCode ?? 0,
                  text,
                }),
              );
            },
          );
          req.on("error", reject);
          req.end(body);
        });
        assert.equal(res.status, 200, res.text);
        assert.equal((JSON.parse(res.text) as { response: { allowed: boolean } }).response.allowed, true);
      } finally {
        await server.close();
      }
    } finally {
      removeDir(root);
    }
  },
);
