/**
 * The logger the cluster adapter reports through. A plain callback, so that src/cluster needs no pino
 * (the composition root passes `(level, msg, fields) => pino[level](fields, msg)`).
 */
export type LogLevel = "debug" | "info" | "warn" | "error";

export type ClusterLogger = (level: LogLevel, msg: string, fields: Record<string, unknown>) => void;

/** For callers that want no output (readClusterStateOnce without a logger). */
export const silentLogger: ClusterLogger = () => {};

/** One line, whatever was thrown: Kubernetes and network errors are logged and shown as single lines. */
export function errorText(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split("\n")[0] ?? "";
}
