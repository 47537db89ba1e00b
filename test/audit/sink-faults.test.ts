/**
 * Issue 13, point 6: the audit file fails (disk full, read-only or permission-denied volume) and
 * recovers. The tests run as root, where chmod does not stop writes, so the faults are injected
 * through the sink's stream factory (`openFile`): a simulated disk whose streams fail with the
 * errors a full (ENOSPC) or read-only (EROFS on write, EACCES on open) volume gives, and whose
 * write callbacks arrive asynchronously, so that records are in flight when the fault hits.
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, test } from "node:test";
import { parseAuditLine } from "../../src/audit/line.js";
import type { AuditRecord } from "../../src/audit/record.js";
import { createAuditSink, type AuditSink } from "../../src/audit/sink.js";
import { generateLog } from "./generate.js";

const { records } = generateLog(11);

type Fault = "ENOSPC" | "EROFS" | "EACCES" | undefined;

/** A disk that keeps whole lines, and fails the way a full or read-only one does. */
class SimulatedDisk {
  readonly lines: string[] = [];
  fault: Fault;
  opened = 0;

  readonly open = (): Writable => {
    this.opened++;
    const failure = (code: string, syscall: string) =>
      Object.assign(new Error(`${code}: simulated ${syscall} failure`), { code, syscall });
    return new Writable({
      construct: (done) => {
        // A read-only or permission-denied directory already fails to open the file.
        setImmediate(() => done(this.fault === "EACCES" ? failure("EACCES", "open") : undefined));
      },
      write: (chunk: Buffer, _enc, done) => {
        // Confirm later, as a file system does: later lines are in flight meanwhile.
        setImmediate(() => {
          if (this.fault) return done(failure(this.fault, "write"));
          this.lines.push(chunk.toString("utf8"));
          done();
        });
      },
    });
  };
}

function collector(): { stream: Writable; lines: () => string[] } {
  let text = "";
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString("utf8");
      done();
    },
  });
  return { stream, lines: () => text.split("\n").filter((l) => l !== "") };
}

function ids(lines: readonly string[]): Set<string> {
  return new Set(lines.map((l) => parseAuditLine(l.trimEnd())?.decisionId ?? "unparseable"));
}

/**
 * Polls (doing `step` each time: a record written keeps the sink busy, as traffic would) with a
 * generous deadline: no fixed sleep, no timing assertion.
 */
async function until(
  what: string,
  check: () => boolean,
  step: () => void,
  deadlineMs = 60_000,
): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > deadlineMs) assert.fail(`not reached: ${what}`);
    step();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function writeAll(sink: AuditSink, batch: readonly AuditRecord[]): void {
  for (const r of batch) sink.write(r);
}

describe("audit sink: file faults lose no record", () => {
  for (const fault of ["ENOSPC", "EROFS", "EACCES"] as const) {
    test(`${fault}: every record lands in the file or on stderr, and the file is used again once writable`, async () => {
      const disk = new SimulatedDisk();
      const stderr = collector();
      const reports: string[] = [];
      const sink = createAuditSink({
        file: "audit.log",
        openFile: () => disk.open(),
        fallback: stderr.stream,
        retryMs: 10,
        onError: (e) => reports.push(e.message),
      });
      writeAll(sink, records.slice(0, 5));
      await sink.flush();
      assert.equal(disk.lines.length, 5);

      // The fault hits while ten records are in flight (written, none confirmed yet).
      disk.fault = fault === "EACCES" ? "EROFS" : fault;
      writeAll(sink, records.slice(5, 15));
      await sink.flush();
      assert.ok(sink.stats().fallback);
      assert.equal(sink.stats().failures, 1);
      assert.deepEqual(ids(stderr.lines()), new Set(records.slice(5, 15).map((r) => r.decisionId)));
      // A permission-denied directory: reopening the file fails too, until it is fixed.
      if (fault === "EACCES") disk.fault = "EACCES";

      // While the fault lasts, records go to stderr (directly, or re-sent when a retry fails).
      writeAll(sink, records.slice(15, 20));
      await sink.flush();
      await until(
        "a retry that failed",
        () => disk.opened >= 2 && sink.stats().failures >= 2,
        () => sink.write(records[20]!),
      );
      assert.equal(disk.lines.length, 5);

      // Fixed: a retry reopens the file, and its first confirmed write ends the fallback.
      disk.fault = undefined;
      await until(
        "back on the file",
        () => !sink.stats().fallback,
        () => sink.write(records[21]!),
      );
      const before = disk.lines.length;
      writeAll(sink, records.slice(30, 40));
      await sink.close();
      assert.equal(disk.lines.length, before + 10, "new records go to the file again");

      const everything = new Set([...ids(disk.lines), ...ids(stderr.lines())]);
      for (const r of [...records.slice(0, 22), ...records.slice(30, 40)])
        assert.ok(everything.has(r.decisionId), `${r.decisionId} kept`);
      assert.ok(!everything.has("unparseable"));
      assert.match(reports[0]!, /cannot write audit\.log: .*audit records now go to stderr/);
      assert.ok(
        reports.some((m) => /writable again/.test(m)),
        reports.join("\n"),
      );
    });
  }
});
