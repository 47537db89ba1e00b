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
}

export interface AuditSink {
  /** queue one record as one line; never throws (the request path must not fail on logging) */
  write(record: AuditRecord): void;
  /** resolves once every record written so far has reached the file or stream */
  flush(): Promise<void>;
  /** flush, then close the file (a caller-given stream or stdout is left open); idempotent */
  close(): Promise<void>;
}

export const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;
export const DEFAULT_MAX_FILES = 5;

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
 * every Writable supports (rotating-file-stream has no flush of its own, and pino's `flush()` only
 * reaches its own sonic-boom destinations).
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

/**
 * The audit log (design §10). One record = one pino call = one `write()` on the destination, so a
 * line is never split between two rotated files and never interleaves with another.
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

  const owned = opts.file !== undefined ? rotatingStream(opts.file, opts) : undefined;
  let target: NodeJS.WritableStream = owned ?? opts.stream ?? process.stdout;
  let failed = false;
  if (owned) {
    owned.on("error", (e: Error) => {
      // rotating-file-stream is closed for good after an error. Records still matter more than
      // where they land: later ones go to stderr, where the container runtime keeps them.
      failed = true;
      target = process.stderr;
      report(new Error(`cannot write ${opts.file}: ${e.message}; audit records now go to stderr`));
    });
    owned.on("warning", (e: Error) => report(new Error(`${opts.file}: ${e.message}`)));
  }

  const destination: DestinationStream = { write: (line: string) => void target.write(line) };
  const logger = pino({ base: null, timestamp: false, level: "info" }, destination);

  let closing: Promise<void> | undefined;
  const flush = () => drained(target);
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
    flush,
    close() {
      closing ??= (async () => {
        await flush();
        if (owned && !failed) {
          // end() resolves after rotating-file-stream's final hook has closed the file descriptor.
          await new Promise<void>((resolve) =>
            owned.end(() => {
              resolve();
            }),
          );
        }
      })();
      return closing;
    },
  };
}
