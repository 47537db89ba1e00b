import { readFileSync } from "node:fs";
import type { Server as HttpsServer, ServerOptions } from "node:https";
import type { SecureContextOptions } from "node:tls";

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/** TLS 1.2 is the floor (Kubernetes' webhook client supports 1.2 and 1.3). */
export const MIN_TLS_VERSION = "TLSv1.2" as const;

export function readTls(files: TlsFiles): SecureContextOptions {
  return { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) };
}

export function httpsOptions(files: TlsFiles): ServerOptions {
  return { ...readTls(files), minVersion: MIN_TLS_VERSION };
}

/**
 * Reload the certificate when its files change on disk, without dropping connections:
 * `setSecureContext` applies to new handshakes only. The files are polled by content: Kubernetes
 * updates Secret volumes by swapping a symlink, which inotify on the file misses, and fs.watchFile
 * takes its baseline asynchronously, so a change right after start could be missed. A half-written
 * pair (key and cert out of step) fails to load and is retried on the next poll.
 */
export function watchTls(
  server: HttpsServer,
  files: TlsFiles,
  onReload: (error?: Error) => void,
  intervalMs = 2000,
): () => void {
  const read = (): string | undefined => {
    try {
      return `${readFileSync(files.certFile, "utf8")}\n${readFileSync(files.keyFile, "utf8")}`;
    } catch {
      return undefined;
    }
  };
  let loaded = read();
  const poll = () => {
    const now = read();
    if (now === undefined || now === loaded) return;
    try {
      server.setSecureContext({ ...readTls(files), minVersion: MIN_TLS_VERSION });
      loaded = now;
      onReload();
    } catch (e) {
      onReload(e instanceof Error ? e : new Error(String(e)));
    }
  };
  const timer = setInterval(poll, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
