/**
 * The real `hostguard serve` process: what `npm start` runs, compiled (dist/, built by `npm test`
 * and on install). No cluster configuration here, so it serves examples/cluster (found relative to
 * the package root) with a development certificate.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { parseAuditLine } from "../../src/audit/line.js";
import { postReview } from "../helpers/https.js";

/** DER encodings of the signature algorithm OIDs (RFC 5758, RFC 3279). */
const ECDSA_WITH_SHA256 = "06082a8648ce3d040302";
const ECDSA_WITH_SHA1 = "06072a8648ce3d0401";

function der(pem: Buffer): string {
  const body = pem.toString("utf8").replace(/-----[^-]+-----|\s/g, "");
  return Buffer.from(body, "base64").toString("hex");
}

interface Served {
  child: ChildProcessWithoutNullStreams;
  until: (check: () => boolean) => Promise<void>;
  port: number;
  probePort: number;
  certDir: string;
  stdout: () => string;
  exit: Promise<number | null>;
}

async function serve(): Promise<Served> {
  const home = mkdtempSync(join(tmpdir(), "hostguard-home-"));
  const env = { ...process.env, HOME: home, KUBECONFIG: "", KUBERNETES_SERVICE_HOST: "" };
  // What `npm start` runs (the compiled CLI), on the Node running this test.
  const start = (JSON.parse(readFileSync("package.json", "utf8")) as { scripts: { start: string } }).scripts
    .start;
  assert.equal(start, "node dist/cli/main.js serve");
  const child = spawn(
    process.execPath,
    ["dist/cli/main.js", "serve", "--port", "0", "--probe-port", "0", "--shutdown-delay", "0.2"],
    { env },
  );
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (err += c.toString()));
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  // Waits for the start-up line itself (an event), however long a loaded machine takes.
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (/webhook on https/.test(err)) resolve();
    };
    child.stderr.on("data", check);
    child.on("exit", () => reject(new Error(`serve exited during start-up: ${err}`)));
    check();
  });
  // No --host: development mode (example cluster, development certificate) listens on loopback only.
  const m = /https:\/\/127\.0\.0\.1:(\d+)\/validate.*http:\/\/127\.0\.0\.1:(\d+)\//.exec(err);
  assert.ok(m, `serve did not start: ${err}`);
  const dir = /certificate for localhost and 127\.0\.0\.1 in (\S+)/.exec(err);
  assert.ok(dir, err);
  // from dist/cli/, the example cluster is still the package's examples/cluster
  assert.equal(/serving the example cluster (\S+)/.exec(err)?.[1], resolve("examples/cluster"));
  const until = (check: () => boolean) =>
    new Promise<void>((resolve) => {
      const poll = () => (check() ? resolve() : setTimeout(poll, 10));
      poll();
    });
  return {
    child,
    until,
    port: Number(m[1]),
    probePort: Number(m[2]),
    certDir: dir[1]!,
    stdout: () => out,
    exit,
  };
}

function review(s: Served, file: string): Promise<{ status: number; body: string }> {
  return postReview({ port: s.port, ca: readFileSync(join(s.certDir, "tls.crt")), body: readFileSync(file) });
}

function probe(s: Served, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: "127.0.0.1", port: s.probePort, path }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on("error", reject)
      .end();
  });
}

test("npm start serves the example cluster: README's review is denied, audit lines on stdout, SIGTERM exits 0 with no failed review", async () => {
  const s = await serve();
  try {
    assert.equal(await probe(s, "/readyz"), 200);
    assert.equal(await probe(s, "/healthz"), 200);
    const denied = await review(s, "examples/admission/delete-hostendpoint-node-2.json");
    assert.equal(denied.status, 200);
    const response = (
      JSON.parse(denied.body) as { response: { allowed: boolean; status: { code: number; message: string } } }
    ).response;
    assert.equal(response.allowed, false);
    assert.equal(response.status.code, 403);
    assert.match(response.status.message, /DELETE HostEndpoint node-2/);

    // The development certificate: SHA-256 signature, in a private directory.
    const cert = readFileSync(join(s.certDir, "tls.crt"));
    assert.ok(cert.length > 0 && new X509Certificate(cert).checkHost("localhost"));
    assert.ok(der(cert).includes(ECDSA_WITH_SHA256), "signed ecdsa-with-SHA256");
    assert.ok(!der(cert).includes(ECDSA_WITH_SHA1), "not ecdsa-with-SHA1");
    assert.equal((statSync(s.certDir).mode & 0o777).toString(8), "700");

    const inFlight = Array.from({ length: 12 }, (_, i) =>
      review(
        s,
        i % 2
          ? "examples/admission/create-globalnetworkset.json"
          : "examples/admission/delete-hostendpoint-node-2.json",
      ),
    );
    // SIGTERM once the server has decided all twelve (their audit lines are out): the answers may
    // still be on their way. Waiting for an event, not a fixed delay: on a loaded machine requests
    // not yet connected when the drain ended were refused (issue 13, point 8).
    await s.until(() => s.stdout().trim().split("\n").length >= 13);
    s.child.kill("SIGTERM");
    const results = await Promise.all(inFlight);
    for (const r of results) assert.equal(r.status, 200, r.body);
    assert.equal(await s.exit, 0);

    const records = s.stdout().trim().split("\n").map(parseAuditLine);
    assert.equal(records.length, 13, s.stdout());
    assert.ok(records.every((r) => r !== undefined));
    assert.equal(records[0]!.decision, "denied");
    assert.equal(records[0]!.user, "alice");
    assert.ok(!existsSync(s.certDir), "the development certificate's directory is removed on exit");
  } finally {
    s.child.kill("SIGKILL");
  }
});
