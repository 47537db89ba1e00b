/**
 * Issue 13, point 7 and mutual TLS, through the real HTTPS server on loopback: stalled clients are
 * cut off, TLS 1.2 offers AEAD suites only, the API server's client certificate is verified, and
 * the metrics that make the failure modes visible.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as netConnect } from "node:net";
import { connect, type ConnectionOptions, type TLSSocket } from "node:tls";
import { describe, test } from "node:test";
import pino from "pino";
import { generate } from "selfsigned";
import { StaticStateSource } from "../../src/cluster/state-source.js";
import { defaultConfig } from "../../src/config/index.js";
import { loadState } from "../../src/engine/load.js";
import { ConfigHolder } from "../../src/server/config-holder.js";
import { writeDevCertificate } from "../../src/server/dev-cert.js";
import { startServer, type RunningServer, type ServeOptions } from "../../src/server/run.js";
import { capturedClusterObjects, FIXTURES_DIR } from "../helpers/shared.js";

const state = loadState(capturedClusterObjects()).state;
const review = readFileSync(join(FIXTURES_DIR, "admission/hostendpoint-delete.json"));

async function start(
  extra: Partial<ServeOptions> & { clientCaFile?: string } = {},
): Promise<{ server: RunningServer; dir: string; ca: Buffer }> {
  const dir = mkdtempSync(join(tmpdir(), "hostguard-hardening-"));
  const tls = await writeDevCertificate(dir);
  const server = await startServer({
    source: new StaticStateSource(state),
    config: new ConfigHolder(defaultConfig()),
    tls: { ...tls, ...(extra.clientCaFile !== undefined && { clientCaFile: extra.clientCaFile }) },
    host: "127.0.0.1",
    port: 0,
    probePort: 0,
    record: () => {},
    logger: pino({ level: "silent" }),
    watchIntervalMs: 20,
    ...extra,
  });
  return { server, dir, ca: readFileSync(tls.certFile) };
}

/** Polls with a generous deadline; no timing is asserted. */
async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`not reached: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function metric(server: RunningServer, name: string): Promise<number | undefined> {
  const text = await server.metrics.registry.metrics();
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  return m ? Number(m[1]) : undefined;
}

/** A TLS handshake with these options: the negotiated protocol and cipher, or the error. */
function handshake(
  port: number,
  options: ConnectionOptions,
): Promise<{ ok: true; protocol: string | null; cipher: string } | { ok: false; error: string }> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port, servername: "localhost", ...options }, () => {
      resolve({ ok: true, protocol: socket.getProtocol(), cipher: socket.getCipher().name });
      socket.end();
    });
    socket.on("error", (e) => resolve({ ok: false, error: e.message }));
  });
}

/** One POST /validate over a fresh TLS connection; an error (handshake refused, reset) is returned. */
function post(
  port: number,
  options: ConnectionOptions,
): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    let data = "";
    const socket: TLSSocket = connect(
      { host: "127.0.0.1", port, servername: "localhost", ...options },
      () => {
        socket.write(
          `POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${review.length}\r\nConnection: close\r\n\r\n`,
        );
        socket.write(review);
      },
    );
    socket.on("data", (c: Buffer) => (data += c.toString()));
    socket.on("error", (e) => resolve({ error: e.message }));
    socket.on("close", () => {
      const m = /^HTTP\/1\.1 (\d+)/.exec(data);
      if (!m) return resolve({ error: `closed without an answer (${data.slice(0, 80)})` });
      resolve({ status: Number(m[1]), body: data.slice(data.indexOf("\r\n\r\n") + 4) });
    });
  });
}

describe("stalled clients are cut off", () => {
  test("headers sent, body stalled: the server closes the connection (request timeout)", async () => {
    const { server, ca } = await start({ timeouts: { requestMs: 300, keepAliveMs: 72_000 } });
    try {
      const closed = await new Promise<string>((resolve, reject) => {
        let data = "";
        const socket = connect({ host: "127.0.0.1", port: server.port, ca, servername: "localhost" }, () => {
          socket.write(
            "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{",
          );
        });
        socket.on("data", (c: Buffer) => (data += c.toString()));
        socket.on("error", () => {});
        socket.on("close", () => resolve(data));
        // The test runner's timeout is the deadline; nothing here measures time.
        socket.on("timeout", () => reject(new Error("unexpected")));
      });
      assert.match(closed, /^(HTTP\/1\.1 408|)/, "a 408, or a plain close");
    } finally {
      await server.close();
    }
  });

  test("TCP connection without a TLS handshake: closed by the server (handshake timeout)", async () => {
    const { server } = await start({ timeouts: { requestMs: 300, keepAliveMs: 72_000 } });
    try {
      await new Promise<void>((resolve) => {
        const socket = netConnect({ host: "127.0.0.1", port: server.port });
        socket.on("error", () => {});
        socket.on("close", () => resolve());
      });
    } finally {
      await server.close();
    }
  });
});

describe("TLS suites", () => {
  test("TLS 1.3 by default; TLS 1.2 with an ECDHE AEAD suite; a client offering only CBC-SHA suites is refused", async () => {
    const { server, ca } = await start();
    try {
      const modern = await handshake(server.port, { ca });
      assert.ok(modern.ok && modern.protocol === "TLSv1.3", JSON.stringify(modern));
      const tls12 = await handshake(server.port, {
        ca,
        maxVersion: "TLSv1.2",
        ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256",
      });
      assert.ok(tls12.ok && tls12.protocol === "TLSv1.2", JSON.stringify(tls12));
      for (const ciphers of [
        "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA",
        "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384",
      ]) {
        const cbc = await handshake(server.port, { ca, maxVersion: "TLSv1.2", ciphers });
        assert.equal(cbc.ok, false, `${ciphers}: ${JSON.stringify(cbc)}`);
      }
    } finally {
      await server.close();
    }
  });
});

/** A CA and client certificates it signs (EC P-256, SHA-256), as a cluster's client CA would. */
async function clientCa(name: string) {
  const ca = await generate([{ name: "commonName", value: name }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true },
    ],
  });
  const issue = async (cn: string) => {
    const pem = await generate([{ name: "commonName", value: cn }], {
      keyType: "ec",
      curve: "P-256",
      algorithm: "sha256",
      ca: { key: ca.private, cert: ca.cert },
      extensions: [
        { name: "basicConstraints", cA: false },
        { name: "keyUsage", digitalSignature: true },
        { name: "extKeyUsage", clientAuth: true },
      ],
    });
    return { cert: pem.cert, key: pem.private };
  };
  return { cert: ca.cert, issue };
}

describe("mutual TLS (--client-ca, --client-cn)", () => {
  test("the right client certificate is served; none, another CA's or another name's is refused; the CA file is reloaded", async () => {
    const trusted = await clientCa("hostguard-test-client-ca");
    const other = await clientCa("some-other-ca");
    const caDir = mkdtempSync(join(tmpdir(), "hostguard-client-ca-"));
    const caFile = join(caDir, "client-ca.crt");
    writeFileSync(caFile, trusted.cert);
    const { server, ca } = await start({ clientCaFile: caFile, clientName: "kube-apiserver" });
    try {
      const right = await post(server.port, { ca, ...(await trusted.issue("kube-apiserver")) });
      assert.ok("status" in right && right.status === 200, JSON.stringify(right));
      assert.match(right.body, /"allowed":false/, "decided as usual");

      const none = await post(server.port, { ca });
      assert.ok("error" in none, `no certificate: ${JSON.stringify(none)}`);
      const wrongCa = await post(server.port, { ca, ...(await other.issue("kube-apiserver")) });
      assert.ok("error" in wrongCa, `another CA: ${JSON.stringify(wrongCa)}`);
      const wrongName = await post(server.port, { ca, ...(await trusted.issue("someone-else")) });
      assert.ok("status" in wrongName && wrongName.status === 403, JSON.stringify(wrongName));
      assert.match(wrongName.body, /does not name kube-apiserver/);

      // Rotating the client CA file: the new CA's certificates are accepted on new connections.
      writeFileSync(caFile, other.cert);
      const rotated = await other.issue("kube-apiserver");
      await until("the new client CA", async () => {
        const r = await post(server.port, { ca, ...rotated });
        return "status" in r && r.status === 200;
      });
    } finally {
      await server.close();
    }
  });
});

describe("metrics of the failure modes", () => {
  test('not-ready answers count as result="error"; the error series exist from the start', async () => {
    let synced = false;
    const source = Object.assign(new StaticStateSource(state), { isSynced: () => synced });
    const { server, ca } = await start({ source });
    try {
      const before = await server.metrics.registry.metrics();
      assert.match(
        before,
        /hostguard_decisions_total\{kind="HostEndpoint",operation="DELETE",result="error"\} 0/,
      );
      const r = await post(server.port, { ca });
      assert.ok("status" in r && r.status === 200);
      assert.match(r.body, /not finished loading/);
      const after = await server.metrics.registry.metrics();
      assert.match(
        after,
        /hostguard_decisions_total\{kind="HostEndpoint",operation="DELETE",result="error"\} 1/,
      );
      synced = true;
    } finally {
      await server.close();
    }
  });

  test("config: the reload-failing gauge is 1 while a bad file is on disk, 0 once it is fixed; checks turned off are exported", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hostguard-cfg-"));
    const configFile = join(dir, "config.yaml");
    writeFileSync(configFile, "mode: enforce\n");
    const lines: string[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(line) });
    const { server } = await start({ configFile, logger });
    try {
      assert.equal(await metric(server, "hostguard_config_reload_failing"), 0);
      assert.equal(await metric(server, "hostguard_config_checks_off"), 0);
      writeFileSync(configFile, "mode: sometimes\n");
      await until("failing", async () => (await metric(server, "hostguard_config_reload_failing")) === 1);
      // The gauge stays up while the bad file stays (a counter's increase would fade).
      writeFileSync(configFile, "mode: sometimes # still bad\n");
      await until(
        "a second bad load",
        async () => (await server.metrics.configReloadFailures.get()).values[0]?.value === 2,
      );
      assert.equal(await metric(server, "hostguard_config_reload_failing"), 1);
      writeFileSync(
        configFile,
        "profiles: []\nfailsafe: { inbound: none, outbound: none }\ncoverage: { nodes: '!all()' }\n",
      );
      await until("fixed", async () => (await metric(server, "hostguard_config_reload_failing")) === 0);
      assert.equal(await metric(server, "hostguard_config_checks_off"), 3);
      assert.ok(lines.some((l) => l.includes("turns every lock-out check off") && l.includes('"level":50')));
    } finally {
      await server.close();
    }
  });

  test("certificate: its expiry is exported, and a bad reload is counted while the old one stays", async () => {
    const { server, dir, ca } = await start();
    try {
      const expiry = Date.parse(new X509Certificate(ca).validTo) / 1000;
      assert.equal(await metric(server, "hostguard_tls_certificate_expiry_timestamp_seconds"), expiry);
      writeFileSync(join(dir, "tls.crt"), "not a certificate\n");
      await until(
        "a failed reload",
        async () => (await server.metrics.tlsReloadFailures.get()).values[0]!.value > 0,
      );
      assert.equal(await metric(server, "hostguard_tls_certificate_expiry_timestamp_seconds"), expiry);
      const ok = await handshake(server.port, { ca });
      assert.ok(ok.ok, "still served with the previous certificate");
    } finally {
      await server.close();
    }
  });
});
