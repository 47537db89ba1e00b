import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

/** ../shared beside the repository: scenarios, fixtures and Calico's CRDs. */
export const SHARED_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../../shared");
export const SCENARIOS_DIR = join(SHARED_DIR, "scenarios");
export const FIXTURES_DIR = join(SHARED_DIR, "fixtures");

export function suiteFiles(): string[] {
  return readdirSync(SCENARIOS_DIR)
    .filter((f) => f.endsWith(".suite.yaml"))
    .sort()
    .map((f) => join(SCENARIOS_DIR, f));
}

export function readYaml(path: string): unknown {
  return parse(readFileSync(path, "utf8"));
}
