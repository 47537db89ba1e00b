import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generate } from "selfsigned";
import type { TlsFiles } from "./tls.js";

/**
 * A throw-away self-signed certificate so `npm start` serves HTTPS on a fresh clone. Valid for
 * localhost and 127.0.0.1 only, for 30 days; never for a cluster (use certs/ or cert-manager).
 */
export async function writeDevCertificate(
  dir: string,
  now = new Date(),
): Promise<TlsFiles & { caFile: string }> {
  const pem = await generate([{ name: "commonName", value: "hostguard-dev" }], {
    keyType: "ec",
    curve: "P-256",
    // selfsigned signs with SHA-1 unless told otherwise; Go clients reject SHA-1 signatures.
    algorithm: "sha256",
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + 30 * 24 * 3600_000),
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
        ],
      },
    ],
  });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certFile = join(dir, "tls.crt");
  const keyFile = join(dir, "tls.key");
  writeFileSync(certFile, pem.cert);
  writeFileSync(keyFile, pem.private, { mode: 0o600 });
  // Self-signed: the certificate is its own CA (curl --cacert tls.crt).
  return { certFile, keyFile, caFile: certFile };
}
