/**
 * certs/make-certs.sh on this machine: the files it writes, that the serving certificate verifies
 * against the CA for the Service's DNS names, the manifests it writes, and a real TLS handshake
 * with the generated pair (what the API server does when it calls the webhook).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync } from "node:fs";
import { createServer, request, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { TLSSocket } from "node:tls";
import { parse, parseAllDocuments } from "yaml";
import { field, list, str, type Json } from "./kustomize.js";
import {
  MAKE_CERTS,
  NO_OPENSSL_MESSAGE,
  OPENSSL_AVAILABLE,
  REPO,
  SPAWN_TIMEOUT_MS,
  makeCerts,
  removeDir,
  tempDir,
} from "./workspace.js";

const SERVICE_DNS = "hostguard.hostguard.svc";
const FILES = [
  "ca.crt",
  "ca.key",
  "tls.crt",
  "tls.key",
  "secret.yaml",
  "cabundle-patch.yaml",
  "kustomization.yaml",
];
const DAY_MS = 86_400_000;

/** The webhook configuration the patch must address, from the base manifests. */
function baseWebhookNames(): { config: string; webhook: string } {
  const docs = parseAllDocuments(
    readFileSync(join(REPO, "deploy", "base", "validatingwebhookconfiguration.yaml"), "utf8"),
  ).map((d) => d.toJS() as Json);
  const vwc = docs[0];
  return {
    config: str(field(vwc, "metadata", "name"), "name"),
    webhook: str(field(vwc, "webhooks", 0, "name"), "webhook name"),
  };
}

function certificate(dir: string, file: string): X509Certificate {
  return new X509Certificate(readFileSync(join(dir, file)));
}

interface Handshake {
  readonly ok: boolean;
  readonly protocol?: string | null;
  readonly body?: string;
  readonly error?: string;
}

/** One HTTPS request to 127.0.0.1:port, presenting `servername` (SNI and hostname check). */
function handshake(
  port: number,
  options: { ca?: Buffer; servername: string; maxVersion?: "TLSv1.2" | "TLSv1.3" },
): Promise<Handshake> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: "/validate",
        method: "GET",
        servername: options.servername,
        ca: options.ca,
        maxVersion: options.maxVersion,
        agent: false,
        timeout: 10_000,
      },
      (res) => {
        const protocol = (res.socket as TLSSocket).getProtocol();
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ ok: true, protocol, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (e: NodeJS.ErrnoException) => resolve({ ok: false, error: e.code ?? e.message }));
    req.end();
  });
}

describe("certs/make-certs.sh", { skip: OPENSSL_AVAILABLE ? false : NO_OPENSSL_MESSAGE }, () => {
  let root = "";
  let out = "";

  before(() => {
    root = tempDir("certs");
    out = join(root, "out");
    const run = makeCerts(["--out", out, "--san", "localhost", "--san", "127.0.0.1"]);
    assert.equal(run.status, 0, `${run.stderr}${run.error ? String(run.error) : ""}`);
    assert.match(run.stdout, /CA: new /);
  });
  after(() => removeDir(root));

  test("is bash with set -euo pipefail, and checks for openssl", () => {
    const script = readFileSync(MAKE_CERTS, "utf8");
    assert.match(script.split("\n")[0] ?? "", /^#!\/usr\/bin\/env bash$/);
    assert.match(script, /^set -euo pipefail$/m);
    assert.match(script, /command -v openssl/);
    assert.ok(statSync(MAKE_CERTS).mode & 0o100, "executable");
  });

  test("writes every file; private keys and the Secret manifest are readable by the owner only", () => {
    for (const f of FILES) assert.ok(existsSync(join(out, f)), f);
    for (const f of ["ca.key", "tls.key", "secret.yaml"]) {
      assert.equal(statSync(join(out, f)).mode & 0o077, 0, `${f} is not group/world readable`);
    }
  });

  test("openssl verify -CAfile ca.crt tls.crt: OK", () => {
    const r = spawnSync("openssl", ["verify", "-CAfile", join(out, "ca.crt"), join(out, "tls.crt")], {
      encoding: "utf8",
      timeout: SPAWN_TIMEOUT_MS,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /tls\.crt: OK/);
  });

  test("the serving certificate: issued by the CA, for the Service's DNS names, ECDSA P-256, 365 days", () => {
    const ca = certificate(out, "ca.crt");
    const tls = certificate(out, "tls.crt");
    assert.equal(ca.ca, true);
    assert.equal(tls.ca, false);
    assert.ok(tls.checkIssued(ca), "issued by the CA");
    assert.ok(tls.verify(ca.publicKey), "signed by the CA's key");
    const sans = (tls.subjectAltName ?? "").split(", ");
    for (const san of [
      `DNS:${SERVICE_DNS}`,
      `DNS:${SERVICE_DNS}.cluster.local`,
      "DNS:localhost",
      "IP Address:127.0.0.1",
    ]) {
      assert.ok(sans.includes(san), `${san} in ${tls.subjectAltName}`);
    }
    assert.ok(tls.checkHost(SERVICE_DNS), "the name the API server checks");
    assert.deepEqual(tls.keyUsage, ["1.3.6.1.5.5.7.3.1"], "extended key usage: serverAuth");
    const key = createPrivateKey(readFileSync(join(out, "tls.key")));
    assert.equal(key.asymmetricKeyType, "ec");
    assert.equal(key.asymmetricKeyDetails?.namedCurve, "prime256v1");
    assert.ok(tls.checkPrivateKey(key), "tls.key belongs to tls.crt");
    assert.ok(
      ca.checkPrivateKey(createPrivateKey(readFileSync(join(out, "ca.key")))),
      "ca.key belongs to ca.crt",
    );
    const days = (Date.parse(tls.validTo) - Date.parse(tls.validFrom)) / DAY_MS;
    assert.equal(Math.round(days), 365);
    const caDays = (Date.parse(ca.validTo) - Date.parse(ca.validFrom)) / DAY_MS;
    assert.equal(Math.round(caDays), 3650);
  });

  test("secret.yaml: Secret hostguard/hostguard-tls of type kubernetes.io/tls with the base64 files", () => {
    const secret = parse(readFileSync(join(out, "secret.yaml"), "utf8")) as Json;
    assert.equal(field(secret, "apiVersion"), "v1");
    assert.equal(field(secret, "kind"), "Secret");
    assert.equal(field(secret, "type"), "kubernetes.io/tls");
    assert.equal(field(secret, "metadata", "name"), "hostguard-tls");
    assert.equal(field(secret, "metadata", "namespace"), "hostguard");
    for (const f of ["tls.crt", "tls.key", "ca.crt"]) {
      assert.equal(field(secret, "data", f), readFileSync(join(out, f)).toString("base64"), f);
    }
  });

  test("cabundle-patch.yaml patches the base's webhook with the base64 of ca.crt; kustomization.yaml is a Component", () => {
    const names = baseWebhookNames();
    const patch = parse(readFileSync(join(out, "cabundle-patch.yaml"), "utf8")) as Json;
    assert.equal(field(patch, "apiVersion"), "admissionregistration.k8s.io/v1");
    assert.equal(field(patch, "kind"), "ValidatingWebhookConfiguration");
    assert.equal(field(patch, "metadata", "name"), names.config);
    const hooks = list(field(patch, "webhooks"), "webhooks");
    assert.equal(hooks.length, 1);
    assert.equal(field(hooks[0], "name"), names.webhook);
    const caBundle = str(field(hooks[0], "clientConfig", "caBundle"), "caBundle");
    assert.equal(caBundle, readFileSync(join(out, "ca.crt")).toString("base64"));
    assert.match(Buffer.from(caBundle, "base64").toString("utf8"), /^-----BEGIN CERTIFICATE-----\n/);

    const component = parse(readFileSync(join(out, "kustomization.yaml"), "utf8")) as Json;
    assert.equal(field(component, "kind"), "Component");
    assert.deepEqual(field(component, "resources"), ["secret.yaml"]);
    assert.deepEqual(field(component, "patches"), [{ path: "cabundle-patch.yaml" }]);
  });

  describe("TLS handshake with the generated pair", () => {
    let server: Server | undefined;
    let port = 0;

    before(async () => {
      server = createServer(
        {
          cert: readFileSync(join(out, "tls.crt")),
          key: readFileSync(join(out, "tls.key")),
          minVersion: "TLSv1.2",
        },
        (_req, res) => res.end("ok"),
      );
      await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
      port = (server.address() as AddressInfo).port;
    });
    after(async () => {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    });

    test("a client trusting ca.crt connects to hostguard.hostguard.svc with TLS >= 1.2", async () => {
      const ca = readFileSync(join(out, "ca.crt"));
      for (const servername of [SERVICE_DNS, `${SERVICE_DNS}.cluster.local`]) {
        const r = await handshake(port, { ca, servername });
        assert.ok(r.ok, `${servername}: ${r.error}`);
        assert.equal(r.body, "ok");
        assert.ok(r.protocol === "TLSv1.2" || r.protocol === "TLSv1.3", String(r.protocol));
      }
      // TLS 1.2 exactly (an API server built without 1.3, or pinned to 1.2) also works
      const r12 = await handshake(port, { ca, servername: SERVICE_DNS, maxVersion: "TLSv1.2" });
      assert.ok(r12.ok, r12.error);
      assert.equal(r12.protocol, "TLSv1.2");
    });

    test("the check is real: another name, or not trusting the CA, fails", async () => {
      const ca = readFileSync(join(out, "ca.crt"));
      const wrongName = await handshake(port, { ca, servername: "hostguard.other.svc" });
      assert.equal(wrongName.ok, false);
      assert.equal(wrongName.error, "ERR_TLS_CERT_ALTNAME_INVALID");
      const untrusted = await handshake(port, { servername: SERVICE_DNS });
      assert.equal(untrusted.ok, false);
      assert.match(
        String(untrusted.error),
        /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER/,
      );
    });
  });

  test("a second run keeps the CA (caBundle unchanged) and renews the serving pair; --new-ca replaces it", () => {
    const dir = join(root, "rotate");
    assert.equal(makeCerts(["--out", dir]).status, 0);
    const ca1 = readFileSync(join(dir, "ca.crt"));
    const tls1 = readFileSync(join(dir, "tls.crt"));
    const patch1 = readFileSync(join(dir, "cabundle-patch.yaml"), "utf8");

    const again = makeCerts(["--out", dir, "--key-type", "rsa", "--days", "30"]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /CA: reused/);
    assert.deepEqual(readFileSync(join(dir, "ca.crt")), ca1);
    assert.equal(readFileSync(join(dir, "cabundle-patch.yaml"), "utf8"), patch1);
    assert.notDeepEqual(readFileSync(join(dir, "tls.crt")), tls1);
    const tls = certificate(dir, "tls.crt");
    assert.ok(tls.checkIssued(certificate(dir, "ca.crt")));
    const key = createPrivateKey(readFileSync(join(dir, "tls.key")));
    assert.equal(key.asymmetricKeyType, "rsa");
    assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048);
    assert.equal(Math.round((Date.parse(tls.validTo) - Date.parse(tls.validFrom)) / DAY_MS), 30);

    const fresh = makeCerts(["--out", dir, "--new-ca", "--service", "guard", "--namespace", "security"]);
    assert.equal(fresh.status, 0, fresh.stderr);
    assert.notDeepEqual(readFileSync(join(dir, "ca.crt")), ca1);
    const renamed = certificate(dir, "tls.crt");
    assert.ok(renamed.checkHost("guard.security.svc"));
    const secret = parse(readFileSync(join(dir, "secret.yaml"), "utf8")) as Json;
    assert.equal(field(secret, "metadata", "namespace"), "security");
  });

  test("bad input: usage errors exit 2 with one clear line", () => {
    for (const [args, message] of [
      [["--days", "0"], /--days/],
      [["--key-type", "dsa"], /--key-type/],
      [["--namespace", "Not_A_Label"], /--namespace/],
      [["--san", "bad name!"], /--san/],
      [["--frobnicate"], /unknown argument/],
      [["--out"], /needs a value/],
    ] as const) {
      const r = makeCerts(["--out", join(root, "unused"), ...args]);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    assert.equal(existsSync(join(root, "unused", "ca.key")), false, "nothing written on bad input");
  });

  test("without openssl it stops with an install hint, writing nothing", () => {
    // a PATH with bash and the few tools the script needs before its openssl check, but no openssl
    const bin = join(root, "bin");
    mkdirSync(bin);
    for (const tool of ["bash", "basename", "dirname"]) {
      const which = spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" });
      symlinkSync(which.stdout.trim(), join(bin, tool));
    }
    const r = spawnSync(join(bin, "bash"), [MAKE_CERTS, "--out", join(root, "no-openssl")], {
      encoding: "utf8",
      timeout: SPAWN_TIMEOUT_MS,
      env: { PATH: bin },
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /openssl not found/);
    assert.match(r.stderr, /apt-get install openssl/);
    assert.equal(existsSync(join(root, "no-openssl")), false);
  });
});
