import { readFileSync, unwatchFile, watchFile } from "node:fs";
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
 * `setSecureContext` applies to new handshakes only. Polling (`watchFile`) rather than `fs.watch`
 * because Kubernetes updates Secret volumes by swapping a symlink, which inotify on the file misses.
 * A half-written pair (key and cert out of step) fails to load and is retried on the next change.
 */
export function watchTls(
  server: HttpsServer,
  files: TlsFiles,
  onReload: (error?: Error) => void,
  intervalMs = 2000,
): () => void {
  const reload = () => {
    try {
      server.setSecureContext({ ...readTls(files), minVersion: MIN_TLS_VERSION });
      onReload();
    } catch (e) {
      onReload(e instanceof Error ? e : new Error(String(e)));
    }
  };
  watchFile(files.certFile, { interval: intervalMs }, reload);
  watchFile(files.keyFile, { interval: intervalMs }, reload);
  return () => {
    unwatchFile(files.certFile, reload);
    unwatchFile(files.keyFile, reload);
  };
}
