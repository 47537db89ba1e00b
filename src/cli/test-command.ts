import type { Command } from "commander";
import type { SuiteResult } from "../suite/run.js";
import { EXIT_DENIED, EXIT_OK, UsageError, type CliIo } from "./io.js";
import { runSuiteFile, suitePaths } from "./suite-files.js";

export function runTestCommand(paths: readonly string[], output: string, io: CliIo): number {
  if (output !== "text" && output !== "json")
    throw new UsageError(`--output must be text or json, got "${output}"`);
  const { files, missing } = suitePaths(paths);
  if (missing.length > 0) throw new UsageError(`no such file or directory: ${missing.join(", ")}`);
  if (files.length === 0) throw new UsageError(`no *.suite.yaml files in ${paths.join(", ")}`);
  const results: SuiteResult[] = files.map(runSuiteFile);
  const cases = results.flatMap((r) => r.cases);
  const passed = cases.filter((c) => c.passed).length;
  const failedCount = cases.length - passed;
  if (output === "json") {
    io.out(JSON.stringify({ passed, failed: failedCount, suites: results }, null, 2));
  } else {
    for (const r of results) {
      io.out(`suite: ${r.name}`);
      for (const c of r.cases) {
        io.out(`  ${c.passed ? "ok  " : "FAIL"} ${c.kind} ${c.name}`);
        for (const f of c.failures)
          io.out(
            f
              .split("\n")
              .map((l) => `       ${l}`)
              .join("\n"),
          );
      }
    }
    io.out(`${passed} passed, ${failedCount} failed`);
  }
  return failedCount === 0 ? EXIT_OK : EXIT_DENIED;
}

export function registerTest(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command("test")
    .description(
      "run declarative suites (steps decided as the webhook would, then flows); prints N passed, M failed",
    )
    .argument("<paths...>", "suite files or directories of *.suite.yaml")
    .option("--output <format>", "text (default) or json", "text")
    .action((paths: string[], opts: { output: string }) => setExit(runTestCommand(paths, opts.output, io)));
}
