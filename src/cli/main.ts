#!/usr/bin/env node
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";
import { registerAudit } from "./audit.js";
import { registerCheck } from "./check.js";
import { registerExplain } from "./explain.js";
import { registerReview } from "./review.js";
import { registerServe } from "./serve.js";
import { registerTest } from "./test-command.js";
import { EXIT_BAD_INPUT, processIo, UsageError, type CliIo } from "./io.js";

/**
 * The `hostguard` command. Returns the exit code instead of exiting, so tests run it in-process.
 * Usage errors (unknown flag, missing option, bad value) exit 2 with one line on stderr.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let exit = 0;
  const program = new Command()
    .name("hostguard")
    .description("Guard Calico host-firewall changes against cluster lock-outs")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError(false);
  const setExit = (code: number) => (exit = code);
  registerExplain(program, io, setExit);
  registerTest(program, io, setExit);
  registerCheck(program, io, setExit);
  registerAudit(program, io, setExit);
  registerServe(program, io, setExit);
  registerReview(program, io, setExit);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return exit;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
    }
    if (e instanceof UsageError) {
      io.err(`hostguard: ${e.message}`);
      return EXIT_BAD_INPUT;
    }
    throw e;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

const invokedDirectly = isEntryPoint();
if (invokedDirectly) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`hostguard: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
