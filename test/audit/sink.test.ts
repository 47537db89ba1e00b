import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { canonicalRecord, parseAuditLine } from "../../src/audit/line.js";
import { readAuditLog } from "../../src/audit/reader.js";
import type { AuditRecord } from "../../src/audit/record.js";
import { createAuditSink } from "../../src/audit/sink.js";
import { generateLog } from "./generate.js";

const RECORD_KEYS = [
  "time",
  "decisionId",
  "uid",
  "user",
  "groups",
  "operation",
  "apiGroup",
  "apiVersion",
  "kind",
  "name",
  "dryRun",
  "mode",
  "allowed",
  "decision",
  "overridden",
  "violations",
  "warnings",
  "fixed",
  "durationMs",
  "object",
  "oldObject",
  "truncated",
];

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "hostguard-audit-"));
}

/** A Writable that keeps what it is given. */
function collector(): { stream: Writable; text: () => string } {
  let text = "";
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString("utf8");
      done();
    },
  });
  return { stream, text: () => text };
}

async function readAll(path: string, rotated = true): Promise<AuditRecord[]> {
  const log = readAuditLog(path, { rotated });
  const out: AuditRecord[] = [];
  for await (const r of log.records) out.push(r);
  assert.equal(log.stats.skipped, 0, `skipped: ${log.stats.skippedAt.join(", ")}`);
  assert.deepEqual(log.stats.errors, []);
  return out;
}

const { records } = generateLog(7);
const withOverride = records.find((r) => r.overridden !== undefined)!;

describe("audit sink: the line", () => {
  test("one line per record: pino's level, then the record's keys in contract order, nothing else", async () => {
    const out = collector();
    const sink = createAuditSink({ stream: out.stream });
    // Build the record in a scrambled key order: the line must not depend on it.
    const scrambled = Object.fromEntries(Object.entries(withOverride).reverse()) as unknown as AuditRecord;
    sink.write({ ...scrambled, object: { kind: "HostEndpoint", metadata: { name: "x" } } });
    sink.write(records[1]!);
    await sink.close();
    const lines = out.text().split("\n");
    assert.equal(lines.pop(), "", "every line ends with a newline");
    assert.equal(lines.length, 2);
    const keys = Object.keys(JSON.parse(lines[0]!) as object);
    assert.equal(keys[0], "level");
    assert.deepEqual(
      keys.slice(1),
      RECORD_KEYS.filter((k) => k !== "oldObject" && k !== "truncated"),
    );
    const parsed = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(parsed.level, 30);
    for (const noise of ["msg", "pid", "hostname"]) assert.ok(!(noise in parsed), noise);
    assert.equal(parsed.time, withOverride.time, "the record's RFC 3339 time, not pino's epoch");
    // finding keys in order, too
    const finding = (parsed.violations as Record<string, unknown>[])[0]!;
    assert.deepEqual(Object.keys(finding), [
      "check",
      "requirement",
      "protocol",
      "ports",
      "from",
      "to",
      "message",
    ]);
  });

  test("lines parse back to the records written", async () => {
    const out = collector();
    const sink = createAuditSink({ stream: out.stream });
    for (const r of records.slice(0, 50)) sink.write(r);
    await sink.flush();
    const back = out
      .text()
      .trimEnd()
      .split("\n")
      .map((l) => parseAuditLine(l));
    assert.deepEqual(back, records.slice(0, 50).map(canonicalRecord));
  });

  test("stdout by default (the line goes to process.stdout)", async () => {
    const sink = createAuditSink();
    let captured = "";
    const original = process.stdout.write.bind(process.stdout);
    // Patched only for this synchronous call: pino writes the line before write() returns.
    process.stdout.write = ((chunk: string | Uint8Array) => {
      captured += String(chunk);
      return true;
    }) as typeof process.stdout.write;
    try {
      sink.write(records[0]!);
    } finally {
      process.stdout.write = original;
    }
    await sink.close();
    assert.deepEqual(parseAuditLine(captured.trimEnd()), canonicalRecord(records[0]!));
  });
});

describe("audit sink: file and rotation", () => {
  test("flush puts every written record in the file before close", async () => {
    const file = join(tempDir(), "audit.log");
    const sink = createAuditSink({ file });
    for (const r of records.slice(0, 20)) sink.write(r);
    await sink.flush();
    const lines = readFileSync(file, "utf8").trimEnd().split("\n");
    assert.equal(lines.length, 20);
    assert.deepEqual(parseAuditLine(lines[19]!), canonicalRecord(records[19]!));
    await sink.close();
    assert.equal((statSync(file).mode & 0o777).toString(8), "640");
  });

  test("rotates at the size limit; the reader returns every part in order", async () => {
    const dir = tempDir();
    const file = join(dir, "audit.log");
    const maxBytes = 4000;
    const sink = createAuditSink({ file, maxBytes, maxFiles: 100 });
    const written = records.slice(0, 120);
    for (const r of written) sink.write(r);
    await sink.close();
    const rotated = readdirSync(dir).filter((n) => n !== "audit.log");
    assert.ok(rotated.length >= 5, `rotated files: ${rotated.join(", ")}`);
    assert.ok(
      rotated.every((n) => /^audit\.log\.\d+$/.test(n)),
      rotated.join(", "),
    );
    const longest = Math.max(...written.map((r) => JSON.stringify(r).length + 20));
    for (const name of rotated) {
      const size = statSync(join(dir, name)).size;
      // rotation happens after the write that reaches the limit: never earlier, at most one line later
      assert.ok(size >= maxBytes && size < maxBytes + longest, `${name}: ${size} bytes`);
      assert.ok(readFileSync(join(dir, name), "utf8").endsWith("\n"), `${name} ends with a whole line`);
    }
    assert.deepEqual(await readAll(file), written.map(canonicalRecord));
    const current = await readAll(file, false);
    assert.deepEqual(current, written.slice(written.length - current.length).map(canonicalRecord));
  });

  test("gzips rotated files (FILE.N.gz) and the reader reads them in order", async () => {
    const dir = tempDir();
    const file = join(dir, "audit.log");
    const sink = createAuditSink({ file, maxBytes: 3000, maxFiles: 100, compress: true });
    const written = records.slice(0, 100);
    for (const r of written) sink.write(r);
    await sink.close();
    const rotated = readdirSync(dir).filter((n) => n !== "audit.log");
    assert.ok(rotated.length >= 5);
    for (const name of rotated) {
      assert.match(name, /^audit\.log\.\d+\.gz$/);
      const bytes = readFileSync(join(dir, name));
      assert.deepEqual([bytes[0], bytes[1]], [0x1f, 0x8b], `${name} is gzip`);
      assert.ok(gunzipSync(bytes).toString("utf8").endsWith("\n"));
    }
    assert.deepEqual(await readAll(file), written.map(canonicalRecord));
  });

  test("keeps at most maxFiles rotated files: the newest records survive, contiguous", async () => {
    const dir = tempDir();
    const file = join(dir, "audit.log");
    const sink = createAuditSink({ file, maxBytes: 2000, maxFiles: 2, compress: true });
    const written = records.slice(0, 80);
    for (const r of written) sink.write(r);
    await sink.close();
    assert.deepEqual(readdirSync(dir).sort(), ["audit.log", "audit.log.1.gz", "audit.log.2.gz"]);
    const kept = await readAll(file);
    assert.ok(kept.length > 0 && kept.length < written.length);
    assert.deepEqual(kept, written.slice(written.length - kept.length).map(canonicalRecord));
  });

  test("appends to an existing log across restarts", async () => {
    const file = join(tempDir(), "audit.log");
    for (const part of [records.slice(0, 5), records.slice(5, 9)]) {
      const sink = createAuditSink({ file });
      for (const r of part) sink.write(r);
      await sink.close();
    }
    assert.deepEqual(await readAll(file), records.slice(0, 9).map(canonicalRecord));
  });
});

describe("audit sink: failures never reach the request path", () => {
  test("close is idempotent; a record after close is reported, not thrown", async () => {
    const errors: string[] = [];
    const out = collector();
    const sink = createAuditSink({ stream: out.stream, onError: (e) => errors.push(e.message) });
    sink.write(records[0]!);
    await Promise.all([sink.close(), sink.close()]);
    await sink.close();
    sink.write(records[1]!);
    assert.equal(out.text().trimEnd().split("\n").length, 1);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /after the audit log was closed/);
  });

  test("an unwritable file is reported and later records go to stderr", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "not-a-dir"), "");
    const errors: string[] = [];
    let reported!: () => void;
    const failed = new Promise<void>((resolve) => (reported = resolve));
    const sink = createAuditSink({
      file: join(dir, "not-a-dir", "audit.log"),
      onError: (e) => {
        errors.push(e.message);
        reported();
      },
    });
    await failed;
    assert.match(errors[0]!, /cannot write .*audit records now go to stderr/);
    let captured = "";
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      captured += String(chunk);
      return true;
    }) as typeof process.stderr.write;
    try {
      sink.write(records[2]!);
    } finally {
      process.stderr.write = original;
    }
    await sink.close();
    assert.deepEqual(parseAuditLine(captured.trimEnd()), canonicalRecord(records[2]!));
  });

  test("configuration mistakes fail at startup", () => {
    assert.throws(() => createAuditSink({ file: "x", stream: collector().stream }), /not both/);
    assert.throws(() => createAuditSink({ file: join(tempDir(), "a.log"), maxBytes: 0 }), RangeError);
    assert.throws(() => createAuditSink({ file: join(tempDir(), "a.log"), maxFiles: 1.5 }), RangeError);
  });
});
