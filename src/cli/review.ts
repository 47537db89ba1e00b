import { statSync } from "node:fs";
import type { Command } from "commander";
import { readAuditLog, type ReadStats } from "../audit/reader.js";
import type { AuditRecord } from "../audit/record.js";
import {
  byTime,
  matchesFilter,
  parseReviewFilter,
  summarize,
  violationLabel,
  type ReviewFlags,
  type ReviewSummary,
} from "../audit/review.js";
import { EXIT_OK, UsageError, type CliIo } from "./io.js";

export interface ReviewOptions extends ReviewFlags {
  readonly output?: string;
}

/** What `review` takes from the process, injectable so tests need neither a terminal nor a clock. */
export interface ReviewDeps {
  readonly stdin?: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly now?: () => Date;
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * User names, reasons and object names come from requests; printed raw, a control sequence in a
 * break-glass reason could rewrite the reviewer's terminal. Show such characters escaped instead.
 */
function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd(),
  );
}

function firstViolation(r: AuditRecord): string {
  const [first] = r.violations;
  if (!first) return "-";
  const more = new Set(r.violations.map(violationLabel)).size - 1;
  return `${violationLabel(first)}${more > 0 ? ` (+${more} more)` : ""}`;
}

function summaryText(s: ReviewSummary, stats: ReadStats): string[] {
  const out: string[] = [];
  const skipped = stats.skipped > 0 ? ` (${plural(stats.skipped, "line")} skipped: not audit records)` : "";
  out.push(`${plural(s.total, "decision")} in ${stats.files.map(printable).join(", ")}${skipped}`);
  if (s.from !== null && s.to !== null) out.push(`from ${s.from} to ${s.to}`);
  const d = s.decisions;
  out.push(
    `allowed ${d.allowed}, denied ${d.denied}, overridden ${d.overridden}, warned ${d.warned}` +
      (s.dryRuns > 0 ? ` (${plural(s.dryRuns, "dry run")})` : ""),
  );
  const section = (title: string, rows: string[][]) => {
    out.push("", `${title}:`);
    if (rows.length === 0) out.push("  (none)");
    else out.push(...table(rows).map((line) => `  ${line}`));
  };
  section(
    "Top denied objects",
    s.topDeniedObjects.map((o) => [String(o.count), printable(`${o.kind}/${o.name}`)]),
  );
  section(
    "Top denied users",
    s.topDeniedUsers.map((u) => [String(u.count), printable(u.user)]),
  );
  section(
    "Most violated",
    s.topViolations.map((v) => [String(v.count), `${printable(v.violation)} (${v.denied} denied)`]),
  );
  section(
    "Overrides",
    s.overrides.map((o) => [
      o.time,
      printable(o.user),
      o.operation,
      printable(`${o.kind}/${o.name}`),
      `${o.dryRun ? "(dry run) " : ""}reason: ${printable(JSON.stringify(o.reason))}`,
    ]),
  );
  return out;
}

function recordRows(records: readonly AuditRecord[]): string[] {
  if (records.length === 0) return ["", "Decisions:", "  (none match)"];
  const rows = records.map((r) => [
    r.time,
    r.decision + (r.dryRun ? " (dry run)" : ""),
    printable(r.user),
    r.operation,
    printable(`${r.kind}/${r.name}`),
    printable(firstViolation(r)),
  ]);
  return ["", "Decisions:", ...table([["TIME", "DECISION", "USER", "OP", "OBJECT", "VIOLATION"], ...rows])];
}

/** The source to read: FILE (with its rotated siblings), `-` for stdin, or stdin when piped. */
function sourceOf(file: string | undefined, deps: ReviewDeps): string | NodeJS.ReadableStream {
  const stdin = deps.stdin ?? process.stdin;
  if (file === undefined || file === "-") {
    // Waiting on a terminal for a log nobody pipes in would look like a hang.
    if (file === undefined && stdin.isTTY)
      throw new UsageError("give an audit log FILE, or - to read one from standard input");
    return stdin;
  }
  let isDirectory: boolean;
  try {
    isDirectory = statSync(file).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${file}: ${code === "ENOENT" ? "no such file" : String(code)}`);
  }
  if (isDirectory)
    throw new UsageError(
      `${file} is a directory; give the current log file (its rotated files are read with it)`,
    );
  return file;
}

/**
 * `hostguard review`: summarise an audit log for a security reviewer. Exit 0 whatever the log
 * says (a review is a report, not a gate); 2 (UsageError) for flags it cannot act on.
 */
export async function runReview(
  file: string | undefined,
  opts: ReviewOptions,
  io: CliIo,
  deps: ReviewDeps = {},
): Promise<number> {
  const output = opts.output ?? "table";
  if (output !== "table" && output !== "json")
    throw new UsageError(`--output must be table or json, got "${output}"`);
  const filter = parseReviewFilter(opts, (deps.now ?? (() => new Date()))());
  if (!filter.ok) throw new UsageError(filter.error);
  const source = sourceOf(file, deps);

  const log = readAuditLog(source, { rotated: true });
  const matched: AuditRecord[] = [];
  try {
    for await (const r of log.records) if (matchesFilter(r, filter.value)) matched.push(r);
  } catch (e) {
    // Only opening the named file can fail here (the reader counts everything else).
    throw new UsageError(`cannot read ${String(file)}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const { stats } = log;
  const records = byTime(matched);
  const summary = summarize(records, { skippedLines: stats.skipped });

  if (stats.skipped > 0)
    io.err(
      `hostguard: skipped ${plural(stats.skipped, "line")} that ${stats.skipped === 1 ? "is" : "are"} not audit records (first at ${stats.skippedAt.map(printable).join(", ")})`,
    );
  for (const e of stats.errors) io.err(`hostguard: ${printable(e)}`);

  if (output === "json") io.out(JSON.stringify({ summary, records }, null, 2));
  else io.out([...summaryText(summary, stats), ...recordRows(records)].join("\n"));
  return EXIT_OK;
}

export function registerReview(
  program: Command,
  io: CliIo,
  setExit: (code: number) => void,
  deps: ReviewDeps = {},
): void {
  program
    .command("review")
    .description("summarise an audit log: decisions, top denials, violations, every override")
    .argument("[file]", "the audit log (its rotated FILE.N[.gz] are read too), or - for stdin")
    .option("--since <when>", "only records at or after: a duration ago (30m, 1h, 2d) or an RFC 3339 time")
    .option("--until <when>", "only records at or before: a duration ago or an RFC 3339 time")
    .option("--decision <outcome>", "only allowed, denied, overridden or warned")
    .option("--user <name>", "only this user's requests")
    .option("--kind <kind>", "only this kind (HostEndpoint, hostendpoints, gnp, …)")
    .option("--name <name>", "only objects with this name")
    .option("--output <format>", "table (default) or json")
    .action(async (file: string | undefined, opts: ReviewOptions) =>
      setExit(await runReview(file, opts, io, deps)),
    );
}
