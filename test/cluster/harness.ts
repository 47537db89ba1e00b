/** Shared set-up for the informer tests: a fake API server, a kubeconfig for it, a fake clock, captured logs. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import {
  createClusterSource,
  type ClusterSourceOptions,
  type ClusterStateSource,
  type LogLevel,
} from "../../src/cluster/informer-source.js";
import { FakeApiServer, kubeconfigYaml, type FakeOptions } from "./fake-apiserver.js";

export interface LogLine {
  readonly level: LogLevel;
  readonly msg: string;
  readonly fields: Record<string, unknown>;
}

export class FakeClock {
  constructor(public ms = 1_800_000_000_000) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface Cluster {
  readonly server: FakeApiServer;
  readonly source: ClusterStateSource;
  readonly clock: FakeClock;
  readonly logs: LogLine[];
  readonly kubeconfigPath: string;
}

/** Writes a kubeconfig for `server` into a temporary directory removed after the test. */
export function writeKubeconfig(t: TestContext, server: string): string {
  const dir = mkdtempSync(join(tmpdir(), "hostguard-kubeconfig-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "config");
  writeFileSync(path, kubeconfigYaml(server));
  return path;
}

/**
 * A fake API server replaying the recorded cluster and a started source reading it, with short
 * backoffs; both are stopped after the test. `beforeStart` runs before the source starts.
 */
export async function cluster(
  t: TestContext,
  opts: {
    fake?: FakeOptions;
    source?: Partial<ClusterSourceOptions>;
    beforeStart?: (server: FakeApiServer) => void;
    waitForSync?: boolean;
  } = {},
): Promise<Cluster> {
  const server = await FakeApiServer.start(opts.fake);
  const kubeconfigPath = writeKubeconfig(t, server.url);
  const clock = new FakeClock();
  const logs: LogLine[] = [];
  const source = createClusterSource({
    kubeconfigPath,
    logger: (level, msg, fields) => logs.push({ level, msg, fields }),
    now: clock.now,
    backoff: { initialMs: 5, maxMs: 40, jitter: 0.5 },
    notServedRecheckMs: 20,
    requestTimeoutMs: 5000,
    env: {},
    ...opts.source,
  });
  t.after(async () => {
    // The source first, so that its watches are aborted by the client, not reset by the server.
    await source.stop();
    await server.close();
  });
  opts.beforeStart?.(server);
  await source.start();
  if (opts.waitForSync !== false) {
    if (!(await source.waitForSync(60_000)))
      throw new Error(`not synced: ${JSON.stringify(source.status())}`);
  }
  return { server, source, clock, logs, kubeconfigPath };
}

/**
 * Polls `predicate` until true; fails with `what` (and the source status) after `timeoutMs`. The
 * deadline only bounds a hang: it is generous because a loaded CI machine can be slow by tens of
 * seconds, and a passing wait costs no more for it.
 */
export async function waitFor(
  predicate: () => boolean,
  what: string,
  source?: ClusterStateSource,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}${source ? `; status ${JSON.stringify(source.status())}` : ""}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function names(
  source: ClusterStateSource,
  kind: Parameters<ReturnType<ClusterStateSource["current"]>["list"]>[0],
): string[] {
  return source
    .current()
    .list(kind)
    .map((r) => r.name);
}
