/**
 * The live-cluster StateSource: informers for Nodes and the Calico kinds, a lazily rebuilt
 * ClusterState, and the overlay of just-admitted changes. See docs/cluster.md.
 *
 * This module (like everything in src/cluster that talks to the API server) imports
 * @kubernetes/client-node, which takes long to load; a CLI should import it lazily, only for `--cluster`.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { err, ok, type Result } from "../calico/result.js";
import type { Change } from "../engine/change.js";
import { validateResource } from "../calico/validate-resource.js";
import { exceededLimits, limitLines } from "../calico/limits.js";
import type { ResourceKind } from "../calico/types.js";
import { loadState, type LoadedState, type RejectedObject } from "../engine/load.js";
import { ClusterState } from "../engine/state.js";
import { makeApiGet, statusCodeOf, type ApiGet } from "./api.js";
import { Backoff, type BackoffOptions } from "./backoff.js";
import type { Env } from "./cluster-config.js";
import { discover, type Discovery } from "./discovery.js";
import { KindInformer, type InformerStatus } from "./informer.js";
import { KIND_SPECS, resourceName } from "./kinds.js";
import { loadKubeConfig } from "./kubeconfig.js";
import { listAll } from "./list.js";
import { errorText, silentLogger, type ClusterLogger } from "./log.js";
import { PendingOverlay } from "./overlay.js";
import type { StateProblem, StateSource, Unconfirmed } from "./state-source.js";
import type { SlimObject } from "./slim.js";

export { hasClusterConfig } from "./cluster-config.js";
export type { ClusterLogger, LogLevel } from "./log.js";
export type { BackoffOptions } from "./backoff.js";
export type { InformerStatus } from "./informer.js";

export interface ConnectionOptions {
  /** an explicit kubeconfig file (`--kubeconfig`); else in-cluster, else KUBECONFIG / ~/.kube/config */
  readonly kubeconfigPath?: string;
  /** default: process.env (KUBERNETES_SERVICE_HOST/PORT, KUBECONFIG, HOME) */
  readonly env?: Env;
  /** where the service-account token and CA are mounted; default /var/run/secrets/kubernetes.io/serviceaccount */
  readonly serviceAccountDir?: string;
  /** discovery and list requests; default 30 s */
  readonly requestTimeoutMs?: number;
  /** list page size (`limit`); default 500, 0 = unpaginated */
  readonly pageSize?: number;
}

export interface ClusterSourceOptions extends ConnectionOptions {
  readonly logger: ClusterLogger;
  /** how long an admitted change is overlaid at most; default 30 s */
  readonly overlayTtlMs?: number;
  /** clock in ms for the overlay TTL and the state age; default Date.now */
  readonly now?: () => number;
  /** retries of discovery, lists and watches; default 500 ms doubling to 30 s, jitter 0.5 */
  readonly backoff?: BackoffOptions;
  /** server-side watch timeout; default random 300–600 s per watch */
  readonly watchTimeoutSeconds?: number;
  /** how often a kind the cluster does not serve is looked for again; default 5 min */
  readonly notServedRecheckMs?: number;
  /**
   * how often every kind is listed afresh and compared with the watched state (drift after missed
   * events or an etcd restore); default 10 min, jittered by ±10 %; 0 disables
   */
  readonly relistIntervalMs?: number;
}

export interface ClusterSourceStatus {
  /** the Calico API group read, once discovery has answered */
  readonly groupVersion?: string;
  readonly synced: boolean;
  readonly ageSeconds: number;
  /** ClusterState rebuilds so far (one per current() after a visible change) */
  readonly rebuilds: number;
  /** admitted changes still overlaid, as of the last current() (entries are settled lazily there) */
  readonly pendingChanges: number;
  /** `kind/name` of the objects left out for being over the limits, as of the last rebuild */
  readonly overLimit: readonly string[];
  readonly kinds: readonly InformerStatus[];
}

const DEFAULT_OVERLAY_TTL_MS = 30_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_PAGE_SIZE = 500;
const DEFAULT_NOT_SERVED_RECHECK_MS = 300_000;
export const DEFAULT_RELIST_INTERVAL_MS = 600_000;

function rejectionText(r: RejectedObject): string {
  return r.errors.map((e) => (e.path ? `${e.path}: ${e.reason}` : e.reason)).join("; ");
}

/**
 * Informer-backed StateSource. `start()` returns at once; discovery and the initial lists run in the
 * background (with retries) and `isSynced()` turns true when every kind has been listed once. It then
 * stays true: while watches reconnect, the last synced state is served and `ageSeconds()` grows.
 */
export class ClusterStateSource implements StateSource {
  private readonly logger: ClusterLogger;
  private readonly now: () => number;
  private readonly overlay: PendingOverlay;
  private informers: KindInformer[] = [];
  private discovery: Discovery | undefined;
  private started = false;
  private stopped = false;
  private startedAt = 0;
  private abort: AbortController | undefined;
  private discoveryTimer: NodeJS.Timeout | undefined;
  private readonly discoveryBackoff: Backoff;
  private dirty = true;
  /** a full rebuild is due (start, or a list that changed the cache: a resync or a drift relist) */
  private fullRebuild = true;
  /** objects over the limits (left out of the state), by `kind/name`: the text of what they exceed */
  private readonly overLimit = new Map<
    string,
    { readonly kind: string; readonly name: string; readonly text: string }
  >();
  /** objects changed since the state was last built, by `kind/name` as the informers name them */
  private readonly pending = new Map<string, { readonly kind: ResourceKind; readonly name: string }>();
  /** the name each listed object has in the state (a v1 GlobalNetworkPolicy's differs), by `kind/name` */
  private readonly stateNames = new Map<string, string>();
  private base: ClusterState = ClusterState.empty();
  private view: ClusterState | undefined;
  private rebuilds = 0;
  private syncedOnce = false;
  private reportedRejections = new Map<string, string>();
  private syncWaiters: (() => void)[] = [];

  constructor(
    private readonly kc: KubeConfig,
    private readonly opts: ClusterSourceOptions,
  ) {
    this.logger = opts.logger;
    this.now = opts.now ?? Date.now;
    this.overlay = new PendingOverlay(opts.overlayTtlMs ?? DEFAULT_OVERLAY_TTL_MS);
    this.discoveryBackoff = new Backoff(opts.backoff);
  }

  isSynced(): boolean {
    return this.informers.length > 0 && this.informers.every((i) => i.isSynced());
  }

  /**
   * The informer state (rebuilt only when an informer saw a visible change since the last call) with
   * the pending admitted changes on top. Before the first sync it is whatever has been listed so far:
   * callers check isSynced() first.
   */
  current(): ClusterState {
    let changed = this.refresh();
    if (this.overlay.settle(this.base, this.now())) changed = true;
    if (changed || this.view === undefined) {
      this.view = this.overlay.size > 0 ? this.overlay.apply(this.base) : this.base;
    }
    return this.view;
  }

  /**
   * Bring the informer state up to date: every change one by one, whatever their number; after a
   * start or a list that changed the cache, every object afresh. True when it changed.
   */
  private refresh(): boolean {
    if (!this.dirty) return false;
    this.base = this.fullRebuild ? this.rebuild() : this.applyPending();
    this.pending.clear();
    this.fullRebuild = false;
    this.dirty = false;
    return true;
  }

  /** See StateSource.unconfirmed: the informer state without the pending admitted changes. */
  unconfirmed(): Unconfirmed | undefined {
    this.current();
    return this.overlay.size > 0 ? { state: this.base, changes: this.overlay.describe() } : undefined;
  }

  /** See StateSource.drift. */
  drift(): ReadonlyMap<string, number> {
    return new Map(this.informers.map((i) => [i.kind, i.status().drift]));
  }

  /** Objects over the limits make the state one the guard cannot judge: not ready, with this reason. */
  problem(): StateProblem | undefined {
    this.refresh();
    if (this.overLimit.size === 0) return undefined;
    const objects = [...this.overLimit.values()];
    const first = objects[0]!;
    const more = objects.length > 1 ? ` (and ${objects.length - 1} more object(s) over the limits)` : "";
    return {
      reason: `hostguard cannot judge the cluster state: ${first.kind} ${first.name} is over hostguard's limits (${first.text})${more}. Delete or split it: deleting it is admitted. See docs/operations.md, "Limits".`,
      objects: objects.map(({ kind, name }) => ({ kind, name })),
    };
  }

  /**
   * Seconds since the state was last known to match the API server: 0 while every watch is open
   * (or the kind is known not to be served); since the first watch dropped otherwise; since start()
   * before the first sync.
   */
  ageSeconds(): number {
    if (!this.started) return 0;
    const now = this.now();
    if (!this.isSynced()) return Math.max(0, (now - this.startedAt) / 1000);
    let oldest: number | undefined;
    for (const informer of this.informers) {
      const since = informer.staleSinceMs();
      if (since !== undefined && (oldest === undefined || since < oldest)) oldest = since;
    }
    return oldest === undefined ? 0 : Math.max(0, (now - oldest) / 1000);
  }

  /** See PendingOverlay. The caller never passes dry-run requests (they change nothing). */
  recordAdmitted(change: Change): void {
    this.refresh();
    this.overlay.record(change, this.now(), this.base);
    this.view = undefined;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.startedAt = this.now();
    this.abort = new AbortController();
    this.runDiscovery(
      makeApiGet(this.kc, {
        timeoutMs: this.opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
        signal: this.abort.signal,
      }),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.discoveryTimer);
    this.abort?.abort();
    await Promise.all(this.informers.map((i) => i.stop()));
    this.releaseWaiters();
  }

  /** Resolves true once synced, false after `timeoutMs` or on stop. */
  waitForSync(timeoutMs: number): Promise<boolean> {
    if (this.isSynced()) return Promise.resolve(true);
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.syncWaiters = this.syncWaiters.filter((w) => w !== wake);
        resolve(false);
      }, timeoutMs);
      const wake = () => {
        clearTimeout(timer);
        resolve(this.isSynced());
      };
      this.syncWaiters.push(wake);
    });
  }

  status(): ClusterSourceStatus {
    return {
      ...(this.discovery && { groupVersion: this.discovery.groupVersion }),
      synced: this.isSynced(),
      ageSeconds: this.ageSeconds(),
      rebuilds: this.rebuilds,
      pendingChanges: this.overlay.size,
      overLimit: [...this.overLimit.keys()],
      kinds: this.informers.map((i) => i.status()),
    };
  }

  private releaseWaiters(): void {
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const wake of waiters) wake();
  }

  private runDiscovery(get: ApiGet): void {
    discover(get).then(
      (found) => {
        if (this.stopped) return;
        this.discovery = found;
        this.startInformers(get, found);
      },
      (e: unknown) => {
        if (this.stopped) return;
        const delay = this.discoveryBackoff.next();
        this.logger(
          this.discoveryBackoff.attempts % 10 === 1 ? "warn" : "debug",
          `API discovery failed: ${errorText(e)}; retrying`,
          {
            retryInMs: delay,
            attempt: this.discoveryBackoff.attempts,
          },
        );
        this.discoveryTimer = setTimeout(() => this.runDiscovery(get), delay);
        this.discoveryTimer.unref();
      },
    );
  }

  private startInformers(get: ApiGet, found: Discovery): void {
    if (found.groupServed) {
      this.logger("info", `reading Calico objects from ${found.groupVersion}`, {
        groupVersion: found.groupVersion,
      });
    } else {
      this.logger(
        "warn",
        "the cluster serves neither crd.projectcalico.org/v1 nor projectcalico.org/v3: is Calico installed?",
        {},
      );
    }
    this.informers = KIND_SPECS.map(
      (spec) =>
        new KindInformer({
          kc: this.kc,
          get,
          spec,
          groupVersion: found.groupVersion,
          servedInDiscovery: spec.core || found.resources.has(spec.plural),
          logger: this.logger,
          now: this.now,
          backoff: this.opts.backoff,
          watchTimeoutSeconds: this.opts.watchTimeoutSeconds,
          pageSize: this.opts.pageSize ?? DEFAULT_PAGE_SIZE,
          notServedRecheckMs: this.opts.notServedRecheckMs ?? DEFAULT_NOT_SERVED_RECHECK_MS,
          relistIntervalMs: this.opts.relistIntervalMs ?? DEFAULT_RELIST_INTERVAL_MS,
          onChange: (name) => {
            this.dirty = true;
            this.pending.set(`${spec.kind}/${name}`, { kind: spec.kind, name });
            // News of an object ends its pending admitted change: the informer knows better now.
            this.overlay.heard(spec.kind, name);
          },
          onListed: (changes) => {
            // A list that changed nothing (the usual periodic relist) leaves the state as it is.
            const first = !this.syncedOnce;
            if (!first && changes === 0) return;
            this.dirty = true;
            this.fullRebuild = true;
            if (first && this.isSynced()) {
              this.syncedOnce = true;
              this.logger("info", "cluster state synced", {});
              this.releaseWaiters();
            }
          },
        }),
    );
    for (const informer of this.informers) informer.start();
  }

  private rebuild(): ClusterState {
    const keys: string[] = [];
    const objects: SlimObject[] = [];
    const overLimit = new Set<string>();
    for (const informer of this.informers) {
      for (const object of informer.objects()) {
        const key = `${informer.kind}/${object.metadata.name}`;
        if (this.checkLimits(key, informer.kind, object)) {
          overLimit.add(key);
          continue;
        }
        keys.push(key);
        objects.push(object);
      }
    }
    for (const key of this.overLimit.keys()) if (!overLimit.has(key)) this.overLimit.delete(key);
    const loaded = loadState(objects);
    this.stateNames.clear();
    for (const { index, resource } of loaded.accepted) this.stateNames.set(keys[index]!, resource.name);
    this.rebuilds++;
    this.reportRejections(loaded.rejected);
    return loaded.state;
  }

  /**
   * The previous state with the changed objects applied one by one. A state derived by one change
   * keeps what the engine computed for its parent (ADR 0008), so the first decision after a change
   * in the cluster costs about as much as any other, instead of rebuilding every view.
   */
  private applyPending(): ClusterState {
    let state = this.base;
    for (const [key, { kind, name }] of this.pending) {
      const listed = this.informers.find((i) => i.kind === kind)?.get(name);
      // Over the limits: left out like a deleted object (and the state reported as not judgeable).
      const object = listed && !this.checkLimits(key, kind, listed) ? listed : undefined;
      if (!listed) this.overLimit.delete(key);
      const was = this.stateNames.get(key);
      const valid = object ? validateResource(object) : undefined;
      if (valid?.ok) {
        if (was !== undefined && was !== valid.value.name) {
          state = state.apply({ operation: "DELETE", kind, name: was });
        }
        state = state.apply({ operation: "UPDATE", object: valid.value });
        this.stateNames.set(key, valid.value.name);
        this.reportedRejections.delete(key);
      } else {
        // Gone, or no longer valid: Felix treats an invalid object as deleted.
        if (was !== undefined) state = state.apply({ operation: "DELETE", kind, name: was });
        this.stateNames.delete(key);
        if (valid && !valid.ok) this.reportRejection(key, { index: 0, kind, name, errors: valid.error });
        else this.reportedRejections.delete(key);
      }
    }
    this.rebuilds++;
    return state;
  }

  /**
   * True when `object` is over the limits (docs/operations.md, "Limits"): it is then remembered and
   * logged once, and the caller leaves it out of the state. Nodes are not checked (only their labels
   * and addresses are kept).
   */
  private checkLimits(key: string, kind: string, object: SlimObject): boolean {
    const over = kind === "Node" ? [] : exceededLimits(object);
    if (over.length === 0) {
      this.overLimit.delete(key);
      return false;
    }
    const text = limitLines(over).join("; ");
    if (this.overLimit.get(key)?.text !== text) {
      this.logger(
        "error",
        `${kind} ${object.metadata.name} is over hostguard's limits; hostguard cannot judge the cluster state (not ready) until it is deleted or split`,
        { kind, name: object.metadata.name, limits: text },
      );
    }
    this.overLimit.set(key, { kind, name: object.metadata.name, text });
    return true;
  }

  private reportRejection(key: string, r: RejectedObject): void {
    const text = rejectionText(r);
    if (this.reportedRejections.get(key) === text) return;
    this.reportedRejections.set(key, text);
    this.logger(
      "warn",
      `${r.kind ?? "object"} ${r.name ?? ""} left out of the state: Calico would reject it (Felix treats it as deleted)`,
      { kind: r.kind, name: r.name, errors: text },
    );
  }

  /** Each invalid object is logged when it first shows up invalid (or its errors change), not on every rebuild. */
  private reportRejections(rejected: readonly RejectedObject[]): void {
    const previous = this.reportedRejections;
    this.reportedRejections = new Map();
    for (const r of rejected) {
      const key = `${r.kind ?? "?"}/${r.name ?? `#${r.index}`}`;
      const text = rejectionText(r);
      if (previous.get(key) === text) this.reportedRejections.set(key, text);
      else this.reportRejection(key, r);
    }
  }
}

/** The configuration names no usable cluster (the message is one line, fit for the CLI to print). */
export class ClusterConfigError extends Error {
  override readonly name = "ClusterConfigError";
}

/**
 * A ClusterStateSource for the configured cluster (see ConnectionOptions), not started yet. Throws
 * ClusterConfigError when the kubeconfig cannot be loaded: a deployment error that should stop
 * `serve` at once rather than leave a webhook that never becomes ready. Network and RBAC problems are
 * not thrown: they show up as retries in the log and as not-ready.
 */
export function createClusterSource(opts: ClusterSourceOptions): ClusterStateSource {
  const kc = loadKubeConfig(opts);
  if (!kc.ok) throw new ClusterConfigError(kc.error);
  return new ClusterStateSource(kc.value, opts);
}

export interface ReadOnceOptions extends ConnectionOptions {
  /** kinds not served, invalid objects; default: silent */
  readonly logger?: ClusterLogger;
}

/**
 * List every kind once and build a state (`hostguard check/audit/explain --cluster`). A kind the
 * cluster does not serve is empty. Never throws: a failure is one line, e.g.
 * `GET /apis/crd.projectcalico.org/v1/hostendpoints: HTTP 403: hostendpoints.crd.projectcalico.org is forbidden: ...`.
 */
export async function readClusterStateOnce(opts: ReadOnceOptions = {}): Promise<Result<LoadedState, string>> {
  const log = opts.logger ?? silentLogger;
  try {
    const kc = loadKubeConfig(opts);
    if (!kc.ok) return kc;
    const get = makeApiGet(kc.value, { timeoutMs: opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS });
    const found = await discover(get);
    const lists = await Promise.all(
      KIND_SPECS.map(async (spec): Promise<readonly SlimObject[]> => {
        const name = resourceName(spec, found.groupVersion);
        if (!spec.core && !found.resources.has(spec.plural)) {
          log("warn", `${name}: not served by this cluster (not in API discovery); treated as empty`, {
            resource: name,
          });
          return [];
        }
        try {
          return (await listAll(get, spec, found.groupVersion, opts.pageSize ?? DEFAULT_PAGE_SIZE)).items;
        } catch (e) {
          if (statusCodeOf(e) !== 404) throw e;
          log("warn", `${name}: not served by this cluster (${errorText(e)}); treated as empty`, {
            resource: name,
          });
          return [];
        }
      }),
    );
    return ok(loadState(lists.flat()));
  } catch (e) {
    return err(errorText(e));
  }
}
