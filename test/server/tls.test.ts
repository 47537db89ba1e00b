import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { Agent } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { test } from "node:test";
import { StaticStateSource } from "../../src/cluster/state-source.js";
import { loadState } from "../../src/engine/load.js";
import { writeDevCertificate } from "../../src/server/dev-cert.js";
import type { RunningServer } from "../../src/server/run.js";
import { postReview } from "../helpers/https.js";
import { startTestServer } from "../helpers/server.js";
import { capturedClusterObjects, FIXTURES_DIR } from "../helpers/shared.js";

const state = loadState(capturedClusterObjects()).state;
const review = readFileSync(join(FIXTURES_DIR, "admission/hostendpoint-delete.json"));

const start = (
  dir: string,
  extra: {
    configFile?: string;
    drain?: { minMs: number; quietMs: number; maxMs: number };
    record?: () => void;
  } = {},
): Promise<RunningServer> => startTestServer(new StaticStateSource(state), { dir, ...extra });

function fingerprint(port: number, ca: Buffer): Promise<{ fingerprint: string; protocol: string | null }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, ca, servername: "localhost" }, () => {
      const result = {
        fingerprint: socket.getPeerCertificate().fingerprint256,
        protocol: socket.getProtocol(),
      };
      socket.end();
      resolve(result);
    });
    socket.on("error", reject);
  });
}

function post(port: number, ca: Buffer, agent?: Agent): Promise<{ status: number; body: string }> {
  return postReview({ port, ca, agent, body: review, path: "/validate?timeout=5s" });
}

/** Polls until `check` holds, with a generous deadline (a fixed count of polls failed on a loaded machine). */
async function eventually(check: () => Promise<boolean>, deadlineMs = 60_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail("condition not reached");
    await new Promise((r) => setTimeout(r, 25));
  }
}

test("HTTPS only, TLS >= 1.2; a new certificate on disk is served to new connections, open ones keep working", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hostguard-tls-"));
  const server = await start(dir);
  try {
    const firstCa = readFileSync(join(dir, "tls.crt"));
    const first = await fingerprint(server.port, firstCa);
    assert.ok(first.protocol === "TLSv1.2" || first.protocol === "TLSv1.3");
    await assert.rejects(
      () =>
        new Promise((resolve, reject) => {
          const s = connect(
            {
              host: "127.0.0.1",
              port: server.port,
              ca: firstCa,
              servername: "localhost",
              maxVersion: "TLSv1.1",
              minVersion: "TLSv1",
            },
            () => resolve(s),
          );
          s.on("error", reject);
        }),
      "TLS 1.1 is refused",
    );

    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    assert.equal((await post(server.port, firstCa, agent)).status, 200);

    // Rotate: write a new pair over the old files (as a Secret update would).
    const next = mkdtempSync(join(tmpdir(), "hostguard-tls-next-"));
    await writeDevCertificate(next);
    copyFileSync(join(next, "tls.key"), join(dir, "tls.key"));
    copyFileSync(join(next, "tls.crt"), join(dir, "tls.crt"));
    const nextCa = readFileSync(join(next, "tls.crt"));
    await eventually(async () => {
      try {
        return (await fingerprint(server.port, nextCa)).fingerprint !== first.fingerprint;
      } catch {
        return false;
      }
    });
    // The kept-alive connection made before the swap still answers.
    assert.equal((await post(server.port, firstCa, agent)).status, 200);
    agent.destroy();
  } finally {
    await server.close();
  }
});

test("close() drains, then waits for in-flight reviews: none fails", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hostguard-tls-"));
  let decided = 0;
  let allDecided = () => {};
  const received = new Promise<void>((resolve) => (allDecided = resolve));
  const server = await start(dir, {
    drain: { minMs: 100, quietMs: 200, maxMs: 30_000 },
    record: () => {
      if (++decided === 20) allDecided();
    },
  });
  const ca = readFileSync(join(dir, "tls.crt"));
  const inFlight = Array.from({ length: 20 }, () => post(server.port, ca));
  // Shut down once the server has decided every review (an event, not a fixed delay: on a loaded
  // machine, requests not yet connected after 20 ms were refused), while answers are on their way.
  await received;
  await server.close();
  for (const r of await Promise.all(inFlight)) assert.equal(r.status, 200, r.body);
});

test("an invalid config on disk keeps the old one and counts a reload failure", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hostguard-cfg-"));
  const configFile = join(dir, "config.yaml");
  const { writeFileSync } = await import("node:fs");
  writeFileSync(configFile, "mode: enforce\n");
  const server = await start(dir, { configFile });
  try {
    writeFileSync(configFile, "mode: sometimes\n");
    await eventually(async () => (await server.metrics.configReloadFailures.get()).values[0]?.value === 1);
    const ca = readFileSync(join(dir, "tls.crt"));
    const res = await post(server.port, ca);
    assert.match(res.body, /"allowed":false/, "still enforcing with the previous config");
  } finally {
    await server.close();
  }
});
