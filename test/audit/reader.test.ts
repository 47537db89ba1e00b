import assert from "node:assert/strict";
import { mkdtempSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { canonicalRecord, parseAuditLine } from "../../src/audit/line.js";
import { MAX_LINE_CHARS, readAuditLog, rotatedSiblings, type AuditLog } from "../../src/audit/reader.js";
import type { AuditRecord } from "../../src/audit/record.js";
import { generateLog } from "./generate.js";

const { records } = generateLog(3);
const line = (r: AuditRecord) => `${JSON.stringify({ level: 30, ...r })}\n`;
const lines = (rs: readonly AuditRecord[]) => rs.map(line).join("");

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "hostguard-reader-"));
}

async function drain(log: AuditLog): Promise<string[]> {
  const ids: string[] = [];
  for await (const r of log.records) ids.push(r.decisionId);
  return ids;
}

const ids = (rs: readonly AuditRecord[]) => rs.map((r) => r.decisionId);

describe("audit reader", () => {
  test("malformed lines are skipped and counted, never fatal; blank lines are not counted", async () => {
    const file = join(tempDir(), "audit.log");
    const text = [
      line(records[0]!),
      "this is not json\n",
      "\n",
      '{"level":30,"msg":"server started"}\n', // the server's own log line on shared stdout
      `${JSON.stringify({ ...records[1], decision: "maybe" })}\n`, // unknown outcome
      `${JSON.stringify({ ...records[1], time: "yesterday" })}\n`, // unparseable time
      `${JSON.stringify({ ...records[1], violations: [{ check: "x" }] })}\n`, // finding without message
      `${JSON.stringify(records[1]).slice(0, -1)}\r\n`, // CRLF and a missing brace
      line(records[2]!).replace("\n", "\r\n"), // CRLF is fine
      "[1,2,3]\n",
      line(records[3]!).slice(0, 40), // a torn last line without newline
    ].join("");
    writeFileSync(file, text);
    const log = readAuditLog(file);
    assert.deepEqual(await drain(log), ids([records[0]!, records[2]!]));
    assert.equal(log.stats.records, 2);
    assert.equal(log.stats.skipped, 8);
    assert.deepEqual(
      log.stats.skippedAt,
      [2, 4, 5, 6, 7].map((n) => `${file}:${n}`),
    );
    assert.deepEqual(log.stats.errors, []);
    assert.deepEqual(log.stats.files, [file]);
  });

  test("gzip is recognised by its magic bytes, whatever the name", async () => {
    const dir = tempDir();
    const zipped = join(dir, "audit.log");
    writeFileSync(zipped, gzipSync(lines(records.slice(0, 30))));
    assert.deepEqual(await drain(readAuditLog(zipped)), ids(records.slice(0, 30)));
    const plainNamedGz = join(dir, "plain.gz");
    writeFileSync(plainNamedGz, lines(records.slice(0, 3)));
    assert.deepEqual(await drain(readAuditLog(plainNamedGz)), ids(records.slice(0, 3)));
  });

  test("rotated siblings are found by name and read oldest first", async () => {
    const dir = tempDir();
    const file = join(dir, "audit.log");
    // FILE.10 is older than FILE.9: numeric, not lexical, order.
    writeFileSync(join(dir, "audit.log.10"), lines(records.slice(0, 2)));
    writeFileSync(join(dir, "audit.log.9.gz"), gzipSync(lines(records.slice(2, 4))));
    writeFileSync(join(dir, "audit.log.2"), lines(records.slice(4, 6)));
    writeFileSync(join(dir, "audit.log.1.gz"), gzipSync(lines(records.slice(6, 8))));
    writeFileSync(file, lines(records.slice(8, 10)));
    for (const other of ["audit.log.bak", "audit.log.1.tmp", "audit.log.txt", "other.log.3", "audit.logx.1"])
      writeFileSync(join(dir, other), "junk\n");
    assert.deepEqual(
      (await rotatedSiblings(file)).map((p) => p.slice(dir.length + 1)),
      ["audit.log.10", "audit.log.9.gz", "audit.log.2", "audit.log.1.gz"],
    );
    const log = readAuditLog(file, { rotated: true });
    assert.deepEqual(await drain(log), ids(records.slice(0, 10)));
    assert.equal(log.stats.files.length, 5);
    assert.equal(log.stats.skipped, 0);
    assert.deepEqual(await drain(readAuditLog(file)), ids(records.slice(8, 10)), "siblings only when asked");
  });

  test("the same number plain and gzipped (compression switched between runs): older file first", async () => {
    const dir = tempDir();
    const file = join(dir, "audit.log");
    writeFileSync(join(dir, "audit.log.1"), lines(records.slice(0, 2)));
    writeFileSync(join(dir, "audit.log.1.gz"), gzipSync(lines(records.slice(2, 4))));
    utimesSync(join(dir, "audit.log.1"), new Date(1_000_000), new Date(1_000_000));
    writeFileSync(file, "");
    assert.deepEqual(await drain(readAuditLog(file, { rotated: true })), ids(records.slice(0, 4)));
  });

  test("a truncated gzip keeps the records before the damage and says where it stopped", async () => {
    const dir = tempDir();
    const file = join(dir, "audit.log");
    const zipped = gzipSync(lines(records.slice(0, 200)));
    writeFileSync(join(dir, "audit.log.1.gz"), zipped.subarray(0, Math.floor(zipped.length * 0.7)));
    writeFileSync(file, lines(records.slice(200, 202)));
    const log = readAuditLog(file, { rotated: true });
    const got = await drain(log);
    assert.ok(got.length > 2 && got.length < 202);
    assert.deepEqual(got.slice(-2), ids(records.slice(200, 202)), "the next file is still read");
    assert.deepEqual(got.slice(0, -2), ids(records.slice(0, got.length - 2)), "a prefix, in order");
    assert.equal(log.stats.errors.length, 1);
    assert.match(log.stats.errors[0]!, /audit\.log\.1\.gz: /);
  });

  test("a stream (stdin): plain or gzipped, in whatever chunks it arrives", async () => {
    const text = lines(records.slice(0, 40));
    // chunks that split lines and multi-byte characters
    const chunks = (bytes: Buffer) =>
      Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.subarray(i * 7, i * 7 + 7));
    const plain = readAuditLog(Readable.from(chunks(Buffer.from(text))));
    assert.deepEqual(await drain(plain), ids(records.slice(0, 40)));
    assert.deepEqual(plain.stats.files, ["-"]);
    const zipped = readAuditLog(Readable.from(chunks(gzipSync(text))), { name: "stdin" });
    assert.deepEqual(await drain(zipped), ids(records.slice(0, 40)));
    assert.deepEqual(await drain(readAuditLog(Readable.from([]))), []);
  });

  test("multi-byte user names survive chunk boundaries", async () => {
    const r = { ...records[0]!, user: "zoë-ŝtrø-用户" };
    const bytes = Buffer.from(line(r));
    const one = Array.from(bytes, (b) => Buffer.from([b]));
    const got: AuditRecord[] = [];
    for await (const x of readAuditLog(Readable.from(one)).records) got.push(x);
    assert.equal(got[0]?.user, "zoë-ŝtrø-用户");
  });

  test("a line too long to be a record is dropped without being buffered", async () => {
    const huge = "x".repeat(MAX_LINE_CHARS + 10);
    const log = readAuditLog(Readable.from([huge.slice(0, 1e6), huge.slice(1e6), "\n", line(records[0]!)]));
    assert.deepEqual(await drain(log), ids([records[0]!]));
    assert.equal(log.stats.skipped, 1);
  });

  test("failing to open the named file rejects; it is not an empty log", async () => {
    await assert.rejects(drain(readAuditLog(join(tempDir(), "missing.log"))), /ENOENT/);
    await assert.rejects(drain(readAuditLog(tempDir())), /directory/);
  });

  test("property: any record survives the line round trip; junk never parses as one", () => {
    const finding = fc.record(
      {
        check: fc.string(),
        requirement: fc.string(),
        protocol: fc.string(),
        ports: fc.string(),
        from: fc.string(),
        to: fc.array(fc.string()),
        node: fc.string(),
        message: fc.string(),
      },
      { requiredKeys: ["check", "message"] },
    );
    const record = fc.record(
      {
        time: fc
          .date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true })
          .map((d) => d.toISOString()),
        decisionId: fc.uuid(),
        uid: fc.string(),
        user: fc.string(),
        groups: fc.array(fc.string()),
        operation: fc.constantFrom("CREATE", "UPDATE", "DELETE"),
        apiGroup: fc.string(),
        apiVersion: fc.string(),
        kind: fc.string(),
        name: fc.string(),
        dryRun: fc.boolean(),
        mode: fc.string(),
        allowed: fc.boolean(),
        decision: fc.constantFrom("allowed", "denied", "overridden", "warned" as const),
        overridden: fc.record({ reason: fc.string(), user: fc.string() }),
        violations: fc.array(finding, { maxLength: 3 }),
        warnings: fc.array(fc.string()),
        fixed: fc.array(finding, { maxLength: 2 }),
        durationMs: fc.double({ noNaN: true, noDefaultInfinity: true }),
        object: fc.jsonValue(),
      },
      {
        requiredKeys: [
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
          "violations",
          "warnings",
          "fixed",
          "durationMs",
        ],
      },
    );
    fc.assert(
      fc.property(record, (r) => {
        const text = JSON.stringify(canonicalRecord(r as AuditRecord));
        // -0 and JSON-dropped values aside, what was written is what is read
        assert.deepEqual(parseAuditLine(text), JSON.parse(text));
        assert.ok(!text.includes("\n"), "one record is one line");
      }),
    );
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const parsed = parseAuditLine(JSON.stringify(v));
        assert.equal(parsed, undefined);
      }),
    );
  });
});
