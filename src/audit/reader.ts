import { open, readdir, stat, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { pipeline, Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { createGunzip } from "node:zlib";
import { parseAuditLine } from "./line.js";
import type { AuditRecord } from "./record.js";

export interface ReadOptions {
  /** also read the file's rotated siblings (`FILE.N`, `FILE.N.gz`), oldest first; default false */
  readonly rotated?: boolean;
  /** the name a stream is reported under in `skippedAt`/`errors` (default `-`) */
  readonly name?: string;
}

export interface ReadStats {
  /** what was read, in order: oldest rotated file first, the named file last (`-` for a stream) */
  readonly files: readonly string[];
  readonly records: number;
  /** non-blank lines that are not audit records (torn writes, other programs' log lines, junk) */
  readonly skipped: number;
  /** where the first few skipped lines are, as `FILE:LINE` */
  readonly skippedAt: readonly string[];
  /** files that could not be read to the end (a truncated gzip, a sibling rotated away meanwhile) */
  readonly errors: readonly string[];
}

export interface AuditLog {
  /** single use: the records in file order, read as they are consumed */
  readonly records: AsyncIterable<AuditRecord>;
  /** filled in while `records` is consumed; final once it is exhausted */
  readonly stats: ReadStats;
}

/**
 * A bigger line is no record we wrote (a record with both objects is well under a megabyte); past
 * this the reader stops buffering it, so a file without newlines cannot exhaust memory.
 */
export const MAX_LINE_CHARS = 32 * 1024 * 1024;
const SKIPPED_AT_SHOWN = 5;
const ROTATED_SUFFIX = /^\.(\d+)(\.gz)?$/;

interface Sibling {
  readonly path: string;
  readonly index: number;
  readonly mtimeMs: number;
}

/**
 * The rotated files of `path`, oldest first. The sink rotates like logrotate: `FILE.1` is the newest
 * rotated file and the highest number the oldest; `.gz` when compression is on. If compression was
 * switched between runs both spellings can exist with the same number; modification time orders those.
 */
export async function rotatedSiblings(path: string): Promise<string[]> {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const found: Sibling[] = [];
  for (const name of names) {
    if (!name.startsWith(base)) continue;
    const m = ROTATED_SUFFIX.exec(name.slice(base.length));
    if (!m) continue;
    const full = join(dir, name);
    try {
      const s = await stat(full);
      if (s.isFile()) found.push({ path: full, index: Number(m[1]), mtimeMs: s.mtimeMs });
    } catch {
      // rotated away between readdir and stat: nothing to read
    }
  }
  found.sort((a, b) => b.index - a.index || a.mtimeMs - b.mtimeMs);
  return found.map((s) => s.path);
}

async function* buffers(source: AsyncIterable<unknown>): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    if (Buffer.isBuffer(chunk)) yield chunk;
    else if (typeof chunk === "string") yield Buffer.from(chunk);
    else if (chunk instanceof Uint8Array) yield Buffer.from(chunk);
  }
}

/**
 * The bytes of a plain or gzipped source. Gzip is recognised by its magic bytes, not the file name:
 * a rotated file may have been compressed without the `.gz` suffix, and stdin has no name at all.
 */
async function* decompressed(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  try {
    const head: Buffer[] = [];
    let size = 0;
    while (size < 2) {
      const next = await it.next();
      if (next.done) break;
      head.push(next.value);
      size += next.value.length;
    }
    const first = Buffer.concat(head);
    const rest = async function* (): AsyncGenerator<Buffer> {
      if (first.length > 0) yield first;
      for (;;) {
        const next = await it.next();
        if (next.done) return;
        yield next.value;
      }
    };
    if (first[0] === 0x1f && first[1] === 0x8b) {
      const gunzip = createGunzip();
      // pipeline forwards a read error into gunzip, so the loop below throws instead of hanging.
      pipeline(Readable.from(rest()), gunzip, () => {});
      for await (const chunk of gunzip) yield chunk as Buffer;
    } else {
      yield* rest();
    }
  } finally {
    await it.return?.();
  }
}

/** Lines of UTF-8 text; `null` stands for a line too long to be a record (dropped, not buffered). */
async function* lines(source: AsyncIterable<Buffer>): AsyncGenerator<string | null> {
  const decoder = new StringDecoder("utf8");
  let pending = "";
  let overlong = false;
  for await (const chunk of source) {
    const text = decoder.write(chunk);
    let start = 0;
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
      if (overlong) {
        overlong = false;
        yield null;
      } else {
        yield pending + text.slice(start, nl);
      }
      pending = "";
      start = nl + 1;
    }
    if (!overlong) pending += text.slice(start);
    if (pending.length > MAX_LINE_CHARS) {
      overlong = true;
      pending = "";
    }
  }
  pending += decoder.end();
  if (overlong) yield null;
  else if (pending !== "") yield pending; // a last line without its newline (a writer cut short)
}

interface Counters {
  files: string[];
  records: number;
  skipped: number;
  skippedAt: string[];
  errors: string[];
}

async function* recordsOf(
  source: AsyncIterable<unknown>,
  name: string,
  counters: Counters,
): AsyncGenerator<AuditRecord> {
  let lineNo = 0;
  for await (const line of lines(decompressed(buffers(source)))) {
    lineNo++;
    if (line !== null && line.trim() === "") continue;
    const record = line === null ? undefined : parseAuditLine(line.endsWith("\r") ? line.slice(0, -1) : line);
    if (record) {
      counters.records++;
      yield record;
    } else {
      counters.skipped++;
      if (counters.skippedAt.length < SKIPPED_AT_SHOWN) counters.skippedAt.push(`${name}:${lineNo}`);
    }
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function* readFiles(
  path: string,
  options: ReadOptions,
  counters: Counters,
): AsyncGenerator<AuditRecord> {
  const siblings = options.rotated ? await rotatedSiblings(path) : [];
  for (const file of [...siblings, path]) {
    const primary = file === path;
    let handle: FileHandle | undefined;
    try {
      handle = await open(file, "r");
      if ((await handle.stat()).isDirectory()) throw new Error(`${file} is a directory`);
    } catch (e) {
      await handle?.close();
      // The named file is the caller's request: failing to open it is an error, not an empty log.
      if (primary) throw e;
      counters.errors.push(`${file}: ${message(e)}`);
      continue;
    }
    counters.files.push(file);
    const stream = handle.createReadStream();
    try {
      yield* recordsOf(stream, file, counters);
    } catch (e) {
      // Records before the damage were read; say where it stopped and go on with the next file.
      counters.errors.push(`${file}: ${message(e)}`);
    } finally {
      stream.destroy();
      await handle.close().catch(() => {});
    }
  }
}

async function* readStream(
  stream: NodeJS.ReadableStream,
  name: string,
  counters: Counters,
): AsyncGenerator<AuditRecord> {
  counters.files.push(name);
  try {
    yield* recordsOf(stream, name, counters);
  } catch (e) {
    counters.errors.push(`${name}: ${message(e)}`);
  }
}

/**
 * Audit records from a file (with its rotated siblings when asked) or a stream, plain or gzipped,
 * one line at a time: memory stays flat however big the log. Lines that are not records are counted
 * and skipped, never fatal; only failing to open the named file itself rejects.
 */
export function readAuditLog(source: string | NodeJS.ReadableStream, options: ReadOptions = {}): AuditLog {
  const counters: Counters = { files: [], records: 0, skipped: 0, skippedAt: [], errors: [] };
  const records =
    typeof source === "string"
      ? readFiles(source, options, counters)
      : readStream(source, options.name ?? "-", counters);
  return { records, stats: counters };
}
