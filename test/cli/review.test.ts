import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { Command, CommanderError } from "commander";
import { canonicalRecord } from "../../src/audit/line.js";
import type { AuditRecord } from "../../src/audit/record.js";
import { summarize } from "../../src/audit/review.js";
import { createAuditSink } from "../../src/audit/sink.js";
import { EXIT_BAD_INPUT, UsageError, type CliIo } from "../../src/cli/io.js";
import { registerReview, type ReviewDeps } from "../../src/cli/review.js";
import { DECISION_QUOTA, generateLog, NOW, TOTAL } from "../audit/generate.js";

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `hostguard review ARGS` the way main.ts runs commands (exitOverride; UsageError → exit 2). */
async function review(args: string[], deps: ReviewDeps = {}): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    out: (t) => (stdout += t.endsWith("\n") ? t : `${t}\n`),
    err: (t) => (stderr += t.endsWith("\n") ? t : `${t}\n`),
  };
  let code = 0;
  const program = new Command()
    .name("hostguard")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  registerReview(program, io, (c) => (code = c), { now: () => NOW, ...deps });
  try {
    await program.parseAsync(["review", ...args], { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) code = e.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
    else if (e instanceof UsageError) {
      io.err(`hostguard: ${e.message}`);
      code = EXIT_BAD_INPUT;
    } else throw e;
  }
  return { code, stdout, stderr };
}

const { records } = generateLog(11);
let dir: string;
let file: string;

before(async () => {
  // The log as the webhook writes it: through the sink, rotated and gzipped.
  dir = mkdtempSync(join(tmpdir(), "hostguard-review-"));
  file = join(dir, "audit.log");
  const sink = createAuditSink({ file, maxBytes: 16_000, maxFiles: 1000, compress: true });
  for (const r of records) sink.write(r);
  await sink.close();
  assert.ok(
    readdirSync(dir).some((n) => n.endsWith(".gz")),
    "the fixture log was rotated",
  );
});

describe("hostguard review", () => {
  test("json: {summary, records} over every rotated part, exit 0", async () => {
    const r = await review([file, "--output", "json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    const json = JSON.parse(r.stdout) as { summary: unknown; records: AuditRecord[] };
    assert.deepEqual(Object.keys(json), ["summary", "records"]);
    assert.deepEqual(json.summary, JSON.parse(JSON.stringify(summarize(records))));
    assert.deepEqual(json.records, records.map(canonicalRecord));
    assert.deepEqual(Object.keys(json.summary as object), [
      "total",
      "skippedLines",
      "from",
      "to",
      "decisions",
      "dryRuns",
      "topDeniedObjects",
      "topDeniedUsers",
      "topViolations",
      "overrides",
    ]);
  });

  test("table: the summary, then one line per record", async () => {
    const r = await review([file]);
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout;
    assert.match(out, new RegExp(`^${TOTAL} decisions in .*audit\\.log\\.\\d+\\.gz, .*audit\\.log\\n`));
    const d = DECISION_QUOTA;
    assert.match(
      out,
      new RegExp(
        `allowed ${d.allowed}, denied ${d.denied}, overridden ${d.overridden}, warned ${d.warned} \\(40 dry runs\\)`,
      ),
    );
    assert.match(
      out,
      /Top denied objects:\n {2}55 {2}GlobalNetworkPolicy\/allow-cluster-internal\n {2}35 {2}HostEndpoint\/node-2\n/,
    );
    assert.match(out, /Top denied users:\n {2}60 {2}alice\n {2}35 {2}bob\n {2}25 {2}carol\n/);
    assert.match(out, /Most violated:\n {2}65 {2}required-ports rancher TCP 10250 \(65 denied\)\n/);
    const overrides = out.slice(out.indexOf("Overrides:"), out.indexOf("Decisions:")).trim().split("\n");
    assert.equal(overrides.length, 1 + d.overridden);
    assert.match(
      overrides[1]!,
      /^ {2}\S+Z {2}oncall-\d +(CREATE|UPDATE) +\S+\/\S+ +(\(dry run\) )?reason: "maintenance window #0"$/,
    );
    const table = out.slice(out.indexOf("Decisions:")).trimEnd().split("\n");
    assert.match(table[1]!, /^TIME +DECISION +USER +OP +OBJECT +VIOLATION$/);
    assert.equal(table.length, 2 + TOTAL);
    const denied = table.find((l) => / denied /.test(l) && l.includes("allow-cluster-internal"))!;
    assert.match(
      denied,
      /GlobalNetworkPolicy\/allow-cluster-internal +required-ports rancher TCP 10250 \(\+1 more\)$/,
    );
  });

  test("filters: --since relative to the (injected) clock, --decision, --user, --kind, --name", async () => {
    const json = async (...args: string[]) => {
      const r = await review([file, "--output", "json", ...args]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as { summary: { total: number }; records: AuditRecord[] };
    };
    assert.equal((await json("--since", "1h")).summary.total, 120);
    assert.equal((await json("--since", "1h", "--until", "30m")).summary.total, 61);
    assert.equal((await json("--decision", "denied", "--user", "alice")).summary.total, 60);
    const heps = await json("--kind", "hostendpoints", "--name", "node-2", "--decision", "denied");
    assert.equal(heps.summary.total, 35);
    assert.ok(heps.records.every((x) => x.kind === "HostEndpoint" && x.name === "node-2"));
  });

  test("stdin: `-`, or no FILE when something is piped in", async () => {
    const text = records
      .slice(0, 25)
      .map((x) => JSON.stringify(x))
      .join("\n");
    for (const args of [["-"], []]) {
      const r = await review([...args, "--output", "json"], { stdin: Readable.from([text]) });
      assert.equal(r.code, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as { summary: { total: number } }).summary.total, 25);
    }
    const zipped = await review(["-"], { stdin: Readable.from([gzipSync(text)]) });
    assert.match(zipped.stdout, /^25 decisions in -\n/);
  });

  test("lines that are not records are skipped, counted, and named on stderr; exit 0", async () => {
    const messy = join(dir, "messy.log");
    writeFileSync(
      messy,
      records
        .slice(0, 3)
        .map((x) => `${JSON.stringify(x)}\n`)
        .join(""),
    );
    appendFileSync(messy, 'garbage\n{"level":30,"msg":"listening"}\n');
    const r = await review([messy, "--output", "json"]);
    assert.equal(r.code, 0);
    assert.equal((JSON.parse(r.stdout) as { summary: { skippedLines: number } }).summary.skippedLines, 2);
    assert.equal(
      r.stderr,
      `hostguard: skipped 2 lines that are not audit records (first at ${messy}:4, ${messy}:5)\n`,
    );
    const table = await review([messy]);
    assert.match(table.stdout, /^3 decisions in .*messy\.log \(2 lines skipped: not audit records\)\n/);
  });

  test("control characters from requests are shown escaped, not sent to the terminal", async () => {
    const evil = join(dir, "evil.log");
    const r0 = records.find((x) => x.decision === "overridden")!;
    const r = {
      ...r0,
      user: "mallory\u001b[2J",
      overridden: { reason: "fix\u009b31m\nnow", user: "mallory" },
    };
    writeFileSync(evil, `${JSON.stringify(r)}\n`);
    const out = (await review([evil])).stdout;
    // eslint-disable-next-line no-control-regex -- looking for control characters is the point
    assert.ok(!/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.test(out), "no control character but newline");
    assert.match(out, /mallory\\u001b\[2J/);
    assert.match(out, /reason: "fix\\u009b31m\\nnow"/);
  });

  test("bad input exits 2 with one line", async () => {
    const cases: [string[], RegExp][] = [
      [[file, "--since", "yesterday"], /--since wants a duration/],
      [[file, "--until", "2024-13-01T00:00:00Z"], /--until wants/],
      [[file, "--decision", "rejected"], /--decision must be one of allowed, denied, overridden, warned/],
      [[file, "--output", "yaml"], /--output must be table or json, got "yaml"/],
      [[file, "--user", ""], /--user must not be empty/],
      [[join(dir, "missing.log")], /cannot read .*missing\.log: no such file/],
      [[dir], /is a directory/],
      [[file, "--frobnicate"], /unknown option/],
      [[file, "--since"], /argument missing/],
    ];
    for (const [args, why] of cases) {
      const r = await review(args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, why);
      assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
      assert.equal(r.stdout, "");
    }
  });

  test("no FILE and a terminal on stdin: exit 2 instead of waiting", async () => {
    const tty = Object.assign(Readable.from([]), { isTTY: true });
    const r = await review([], { stdin: tty });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /give an audit log FILE, or - /);
  });
});
