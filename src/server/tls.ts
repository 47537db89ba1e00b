import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Server as HttpsServer, ServerOptions } from "node:https";
import type { PeerCertificate, SecureContextOptions } from "node:tls";

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /**
   * Mutual TLS: a client certificate chaining to a CA in this PEM file is required for the
   * handshake to complete (the API server's, from its admission configuration). Reloaded with
   * the serving pair.
   */
  readonly clientCaFile?: string;
}

/** TLS 1.2 is the floor (Kubernetes' webhook client supports 1.2 and 1.3). */
export const MIN_TLS_VERSION = "TLSv1.2" as const;

/**
 * TLS 1.2: ECDHE key exchange with AEAD ciphers only - no CBC suites, no SHA-1 MACs, no static RSA
 * key exchange. Go's TLS client (the API server) offers all of these. The TLS 1.3 suites are
 * Node's defaults, named because the list replaces the defaults and OpenSSL enables a TLS 1.3
 * suite only when its full name is listed (Node's "Modifying the default TLS cipher suite").
 */
export const CIPHERS = [
  "TLS_AES_256_GCM_SHA384",
  "TLS_CHACHA20_POLY1305_SHA256",
  "TLS_AES_128_GCM_SHA256",
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
].join(":");

/** The secure context: what a reload replaces (serving pair, client CA, protocol and suites). */
export function readTls(files: TlsFiles): SecureContextOptions {
  return {
    cert: readFileSync(files.certFile),
    key: readFileSync(files.keyFile),
    ...(files.clientCaFile !== undefined && { ca: readFileSync(files.clientCaFile) }),
    minVersion: MIN_TLS_VERSION,
    ciphers: CIPHERS,
    honorCipherOrder: true,
  };
}

export function httpsOptions(files: TlsFiles): ServerOptions {
  const mutual = files.clientCaFile !== undefined;
  return { ...readTls(files), requestCert: mutual, rejectUnauthorized: mutual };
}

/** When the certificate (the first in the PEM file) stops being valid, in seconds since the epoch. */
export function certificateExpiry(certPem: string | Buffer): number | undefined {
  try {
    const ms = Date.parse(new X509Certificate(certPem).validTo);
    return Number.isFinite(ms) ? ms / 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** The names a client certificate stands for: its subject CN and its DNS and URI SANs. */
export function certificateNames(cert: PeerCertificate): string[] {
  const names: string[] = [];
  const cn = cert.subject?.CN as string | string[] | undefined;
  if (typeof cn === "string") names.push(cn);
  else if (Array.isArray(cn)) names.push(...cn);
  for (const entry of (cert.subjectaltname ?? "").split(",")) {
    const m = /^\s*(DNS|URI):(.+)$/.exec(entry);
    if (m) names.push(m[2]!.trim());
  }
  return names;
}

export interface TlsWatch {
  stop(): void;
  /** expiry of the certificate in force (seconds since the epoch) */
  expiry(): number | undefined;
}

/**
 * Reload the certificate (and the client CA) when their files change on disk, without dropping
 * connections: `setSecureContext` applies to new handshakes only. The files are polled by content:
 * Kubernetes updates Secret volumes by swapping a symlink, which inotify on the file misses, and
 * fs.watchFile takes its baseline asynchronously, so a change right after start could be missed. A
 * half-written pair (key and cert out of step) fails to load and is retried on the next poll.
 */
export function watchTls(
  server: HttpsServer,
  files: TlsFiles,
  onReload: (error?: Error) => void,
  intervalMs = 2000,
): TlsWatch {
  const paths = [files.certFile, files.keyFile, ...(files.clientCaFile ? [files.clientCaFile] : [])];
  const read = (): string | undefined => {
    try {
      return paths.map((p) => readFileSync(p, "utf8")).join("\n");
    } catch {
      return undefined;
    }
  };
  let loaded = read();
  let expiry = certificateExpiry(readFileSync(files.certFile));
  const poll = () => {
    const now = read();
    if (now === undefined || now === loaded) return;
    try {
      const context = readTls(files);
      server.setSecureContext(context);
      loaded = now;
      expiry = certificateExpiry(context.cert as Buffer);
      onReload();
    } catch (e) {
      onReload(e instanceof Error ? e : new Error(String(e)));
    }
  };
  const timer = setInterval(poll, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer), expiry: () => expiry };
}
