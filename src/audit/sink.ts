import type { Writable } from "node:stream";
import { pino, type DestinationStream } from "pino";
import { createStream, type Options as RotationOptions } from "rotating-file-stream";
import { boundRecord } from "./bound.js";
import { canonicalRecord } from "./line.js";
import type { AuditRecord } from "./record.js";

export interface AuditSinkOptions {
  /** append to this file, rotated by size; without it (and without `stream`) lines go to stdout */
  readonly file?: string;
  /** rotate once the current file reaches this many bytes (default 50 MiB) */
  readonly maxBytes?: number;
  /** how many rotated files to keep: `FILE.1` (newest) … `FILE.<maxFiles>` (default 5) */
  readonly maxFiles?: number;
  /** gzip rotated files (`FILE.1.gz`, …); the current file stays plain */
  readonly compress?: boolean;
  /** write here instead (tests, or a caller-owned stream); it is flushed on close but not ended */
  readonly stream?: NodeJS.WritableStream;
  /** told about write failures and dropped records; default: one line on stderr */
  readonly onError?: (error: Error) => void;
  /**
   * Opens the file's stream (default: rotating-file-stream with the options above). Called again
   * on every retry after a failure; tests inject a stream that fails like a full or read-only disk.
   */
  readonly openFile?: (file: string) => Writable;
  /** where records go while the file cannot be written (default: stderr) */
  readonly fallback?: NodeJS.WritableStream;
  /** after a file failure, try the file again this often (default 30 s) */
  readonly retryMs?: number;
}

export interface AuditSinkStats {
  /** errors of the audit file (open, write, rotation), the failed retries included */
  readonly failures: number;
  /** true while records go to the fallback (stderr) instead of the file */
  readonly fallback: boolean;
}

export interface AuditSink {
  /** queue one record as one line; never throws (the request path must not fail on logging) */
  write(record: AuditRecord): void;
  /** resolves once every record written so far has reached the file or stream */
  flush(): Promise<void>;
  /** flush, then close the file (a caller-given stream or stdout is left open); idempotent */
  close(): Promise<void>;
  stats(): AuditSinkStats;
}

export const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;
export const DEFAULT_MAX_FILES = 5;
export const DEFAULT_RETRY_MS = 30_000;

/** Audit lines name users and objects: readable by the owner and group (a log shipper), nobody else. */
const FILE_MODE = 0o640;

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new RangeError(`audit ${name} must be a positive integer, got ${value}`);
  return value;
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * Resolves when everything queued on the stream before this call has been handed to the OS. An
 * empty write queued behind the others calls back only after they are done; that is the one flush
 * every Writable supports (pino's `flush()` only reaches its own sonic-boom destinations).
 */
function drained(stream: NodeJS.WritableStream): Promise<void> {
  const w = stream as Partial<Writable>;
  if (w.destroyed || w.writableEnded || w.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => {
    // Failures reach the stream's 'error' listener; a flush only waits for the writes to finish.
    stream.write("", () => resolve());
  });
}

function rotatingStream(file: string, opts: AuditSinkOptions): Writable {
  const maxBytes = positiveInteger("maxBytes", opts.maxBytes, DEFAULT_MAX_BYTES);
  const maxFiles = positiveInteger("maxFiles", opts.maxFiles, DEFAULT_MAX_FILES);
  // Classical logrotate mode (`rotate`): FILE.1 is always the newest rotated file and FILE.N the
  // oldest, so the reader finds them by name and the set never grows beyond maxFiles.
  const options: RotationOptions = { size: `${maxBytes}B`, rotate: maxFiles, mode: FILE_MODE };
  if (opts.compress) options.compress = "gzip";
  return createStream(file, options);
}

interface LineTarget {
  write(line: string): void;
  flush(): Promise<void>;
  close(): Promise<void>;
  stats(): AuditSinkStats;
}

/** stdout or a caller's stream: written as given, never ended. */
function streamTarget(stream: NodeJS.WritableStream): LineTarget {
  return {
    write: (line) => void stream.write(line),
    flush: () => drained(stream),
    close: () => drained(stream),
    stats: () => ({ failures: 0, fallback: false }),
  };
}

/**
 * The audit file, and what happens when it cannot be written (disk full, read-only or
 * permission-denied volume). A line handed to the file stays in `pending` until the stream
 * confirms the write; when the stream fails, every unconfirmed line is written again to the
 * fallback (stderr), so none is lost at the switch (a line may then be in both places, possibly
 * torn in the file: the reader skips torn lines). Later lines go to the fallback until a retry,
 * every `retryMs`, opens the file again; its first confirmed write ends the fallback.
 */
function fileTarget(file: string, opts: AuditSinkOptions, report: (e: Error) => void): LineTarget {
  const open = opts.openFile ?? ((path: string) => rotatingStream(path, opts));
  const fallback = opts.fallback ?? process.stderr;
  const retryMs = opts.retryMs ?? DEFAULT_RETRY_MS;
  const pending = new Map<number, string>();
  const waiting: (() => void)[] = [];
  let next = 0;
  let failures = 0;
  let current: Writable | undefined;
  let retry: NodeJS.Timeout | undefined;
  let recovering = false;
  let closed = false;

  const settle = () => {
    if (pending.size === 0) for (const resolve of waiting.splice(0)) resolve();
  };
  const attach = (stream: Writable) => {
    current = stream;
    stream.on("error", (e: Error) => {
      if (current !== stream) return;
      failures++;
      current = undefined;
      const unconfirmed = [...pending.values()];
      pending.clear();
      for (const line of unconfirmed) fallback.write(line);
      if (!recovering)
        report(
          new Error(
            `cannot write ${file}: ${e.message}; audit records now go to stderr (${unconfirmed.length} unconfirmed re-sent there) until the file is writable again`,
          ),
        );
      recovering = true;
      settle();
      if (!closed && retry === undefined) {
        retry = setTimeout(() => {
          retry = undefined;
          if (!closed && current === undefined) attach(open(file));
        }, retryMs);
        retry.unref();
      }
    });
    stream.on("warning", (e: Error) => report(new Error(`${file}: ${e.message}`)));
  };
  attach(open(file));

  const flush = () =>
    pending.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiting.push(resolve));
  return {
    write(line) {
      const stream = current;
      if (stream === undefined) {
        fallback.write(line);
        return;
      }
      const id = next++;
      pending.set(id, line);
      stream.write(line, (error) => {
        // A failed write is re-sent by the 'error' listener, with every other unconfirmed line.
        if (error || !pending.delete(id)) return;
        if (recovering) {
          recovering = false;
          report(new Error(`${file} is writable again; audit records go there again`));
        }
        settle();
      });
    },
    flush,
    async close() {
      closed = true;
      if (retry !== undefined) clearTimeout(retry);
      await flush();
      const stream = current;
      current = undefined;
      // end() resolves after rotating-file-stream's final hook has closed the file descriptor.
      if (stream && !stream.destroyed) await new Promise<void>((resolve) => stream.end(() => resolve()));
    },
    stats: () => ({ failures, fallback: current === undefined || recovering }),
  };
}

/**
 * The audit log (design §10). One record = one pino call = one `write()` on the destination, so a
 * line is never split between two rotated files and never interleaves with another. Every record
 * is bounded first (src/audit/bound.ts).
 *
 * pino options: no `base` (pid/hostname are not part of the record), no timestamp (the record's own
 * RFC 3339 `time` is the decision time; pino's would be a second `time` key on the same line), no
 * message. pino always writes its `level` first; that is the only key the line adds to the record.
 */
export function createAuditSink(opts: AuditSinkOptions = {}): AuditSink {
  if (opts.file !== undefined && opts.stream !== undefined)
    throw new Error("audit sink: give a file or a stream, not both");
  const report =
    opts.onError ?? ((error: Error) => process.stderr.write(`hostguard: audit log: ${error.message}\n`));
  const target =
    opts.file !== undefined
      ? fileTarget(opts.file, opts, report)
      : streamTarget(opts.stream ?? process.stdout);

  const destination: DestinationStream = { write: (line: string) => target.write(line) };
  const logger = pino({ base: null, timestamp: false, level: "info" }, destination);

  let closing: Promise<void> | undefined;
  return {
    write(record) {
      if (closing) {
        report(new Error(`record ${record.decisionId} arrived after the audit log was closed; dropped`));
        return;
      }
      try {
        logger.info(canonicalRecord(boundRecord(record)));
      } catch (e) {
        report(new Error(`record ${record.decisionId} not written: ${asError(e).message}`));
      }
    },
    flush: () => target.flush(),
    close() {
      closing ??= target.close();
      return closing;
    },
    stats: () => target.stats(),
  };
}
