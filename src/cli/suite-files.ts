import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse } from "yaml";
import { readObjects } from "../cluster/file-source.js";
import { defaultConfig, parseConfig } from "../config/index.js";
import { configErrorCase, runSuite, type SuiteResult } from "../suite/run.js";
import { parseSuite } from "../suite/spec.js";

/** Suite files named on the command line: files as given, directories by their `*.suite.yaml`. */
export function suitePaths(paths: readonly string[]): { files: string[]; missing: string[] } {
  const files: string[] = [];
  const missing: string[] = [];
  for (const p of paths) {
    try {
      if (statSync(p).isDirectory()) {
        files.push(
          ...readdirSync(p)
            .filter((f) => /\.suite\.ya?ml$/.test(f))
            .sort()
            .map((f) => join(p, f)),
        );
      } else files.push(p);
    } catch {
      missing.push(p);
    }
  }
  return { files, missing };
}

function failed(name: string, reason: string): SuiteResult {
  return { name, cases: [{ suite: name, kind: "suite", name: "load", passed: false, failures: [reason] }] };
}

/**
 * Load and run one suite file: the path `hostguard test` and `npm test` share. A `state:` path is
 * read relative to the suite file.
 */
export function runSuiteFile(path: string): SuiteResult {
  let doc: unknown;
  try {
    doc = parse(readFileSync(path, "utf8"));
  } catch (e) {
    return failed(path, `cannot read suite: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
  }
  const spec = parseSuite(doc);
  if (!spec.ok) return failed(path, spec.error.map((e) => `${e.path}: ${e.reason}`).join("; "));
  let objects: readonly unknown[];
  if (typeof spec.value.state === "string") {
    const read = readObjects(resolve(dirname(path), spec.value.state));
    if (!read.ok) return failed(spec.value.name, read.error);
    objects = read.value;
  } else objects = spec.value.state;
  const config =
    spec.value.config === undefined
      ? { ok: true as const, value: defaultConfig() }
      : parseConfig(spec.value.config);
  if (!config.ok) return { name: spec.value.name, cases: [configErrorCase(spec.value.name, config.error)] };
  return runSuite(spec.value, objects, config.value);
}
