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

/**
 * The captured cluster as the API server listed it (fixtures/apiserver/list-*.json). List items
 * carry no apiVersion/kind of their own; they come from the list.
 */
export function capturedClusterObjects(): unknown[] {
  const dir = join(FIXTURES_DIR, "apiserver");
  return readdirSync(dir)
    .filter((f) => /^list-.*\.json$/.test(f) && !f.includes("expired"))
    .sort()
    .flatMap((f) => {
      const list = JSON.parse(readFileSync(join(dir, f), "utf8")) as {
        apiVersion: string;
        kind: string;
        items: Record<string, unknown>[];
      };
      const kind = list.kind.replace(/List$/, "");
      return list.items.map((item) => ({ apiVersion: list.apiVersion, kind, ...item }));
    });
}
