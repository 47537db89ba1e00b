/**
 * One kind's informer: client-node's ListWatch (list, then watch from the list's resourceVersion, relist
 * on 410 Gone) plus what it lacks for a webhook that must stay up:
 *
 * - Retries. ListWatch stops for good on any list or watch error and only emits `error`; client-node's
 *   own example restarts it from that callback. We do so with a bounded, jittered backoff.
 * - No hot loop. When the server ends a watch normally, ListWatch re-watches at once. That is right
 *   after a long watch (the API server closes every watch after `timeoutSeconds`), but a server or
 *   proxy that closes streams immediately would be hammered (kubernetes-client/javascript#1933), so a
 *   watch that ended without delivering anything waits for the backoff first.
 * - Stalled streams. A half-open TCP connection delivers nothing and never ends
 *   (kubernetes-client/javascript#596). We ask the server to end each watch after `timeoutSeconds`
 *   and abort it ourselves when it has not a minute later.
 * - Bookmarks. client-node does not ask for them; we add `allowWatchBookmarks=true`, so that an idle
 *   kind's resourceVersion keeps moving and a reconnect does not fall behind etcd compaction (410).
 * - Slim objects. Events and list items are slimmed before ListWatch stores them (slim.ts).
 * - Knowing when the initial list is done and whether the watch stream is open (readiness, state age):
 *   ListWatch has no such events (`connect` fires before the attempt, not after it succeeded).
 * - Kinds the cluster does not serve: a 404 list counts as an empty list, is logged once, and is
 *   retried every `notServedRecheckMs` in case the CRD gets installed.
 *
 * - Drift. Every `relistIntervalMs` (jittered) the watch is ended on purpose so that the kind is listed
 *   afresh; objects the list shows differently from the cache (a watch that resumed from an old
 *   resourceVersion after etcd was restored keeps sending nothing for them) are counted as drift,
 *   logged and replaced.
 *
 * ListWatch emits `update` only when the resourceVersion changed; we compare content fingerprints as
 * well, so that a Node status heartbeat (new resourceVersion, same labels and addresses) does not
 * mark the state dirty. Conversely, a listed object whose content differs under the same
 * resourceVersion (a restored etcd reuses revisions) replaces the cached one.
 */
import {
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { ApiError, statusCodeOf, type ApiGet } from "./api.js";
import { Backoff, type BackoffOptions } from "./backoff.js";
import {
  apiVersionOf,
  collectionPath,
  resourceName,
  type CalicoGroupVersion,
  type KindSpec,
} from "./kinds.js";
import { listAll } from "./list.js";
import { errorText, type ClusterLogger } from "./log.js";
import { fingerprint, slimObject, type SlimObject } from "./slim.js";

export interface InformerOptions {
  readonly kc: KubeConfig;
  readonly get: ApiGet;
  readonly spec: KindSpec;
  readonly groupVersion: CalicoGroupVersion;
  /** false when discovery did not list the resource: start as "not served" without asking */
  readonly servedInDiscovery: boolean;
  readonly logger: ClusterLogger;
  /** the clock for state age (injectable for tests) */
  readonly now: () => number;
  readonly backoff?: BackoffOptions;
  /** server-side watch timeout; default: random 300–600 s per watch, as client-go spreads them */
  readonly watchTimeoutSeconds?: number;
  readonly pageSize: number;
  readonly notServedRecheckMs: number;
  /** how often the kind is listed afresh to catch drift; 0 = never */
  readonly relistIntervalMs?: number;
  /** the object of this name changed (or went away) in a way the engine can see */
  readonly onChange: (name: string) => void;
  /** a list is done (the first one: the kind is synced); `changes`: objects it changed in the cache */
  readonly onListed: (changes: number) => void;
  /** a periodic relist found `objects` objects that differed from the cache (they are replaced) */
  readonly onDrift?: (objects: number) => void;
}

export interface InformerStatus {
  readonly kind: string;
  readonly resource: string;
  readonly synced: boolean;
  readonly served: boolean;
  /** a watch stream is open */
  readonly connected: boolean;
  /** when (by the injected clock) the kind stopped being known to match the API server; undefined when it does */
  readonly staleSince?: number;
  readonly resourceVersion: string;
  readonly objects: number;
  /** list requests made (each page-set counts once) and watch requests opened */
  readonly lists: number;
  readonly watches: number;
  /** objects periodic relists found different from the cache */
  readonly drift: number;
}

type WatchCallback = (phase: string, apiObj: unknown, watchObj?: unknown) => void;
type DoneCallback = (err: unknown) => void;
type Query = Record<string, string | number | boolean | undefined>;
type InnerWatch = (
  path: string,
  query: Query,
  callback: WatchCallback,
  done: DoneCallback,
) => Promise<AbortController>;
type OpenWatch = (
  inner: InnerWatch,
  path: string,
  query: Query,
  callback: WatchCallback,
  done: DoneCallback,
) => Promise<AbortController>;

/** client-node's Watch with our hooks around every watch request ListWatch makes. */
class HookedWatch extends Watch {
  constructor(
    kc: KubeConfig,
    private readonly open: OpenWatch,
  ) {
    super(kc);
  }

  override watch(
    path: string,
    query: Query,
    callback: WatchCallback,
    done: DoneCallback,
  ): Promise<AbortController> {
    return this.open((p, q, c, d) => super.watch(p, q, c, d), path, query, callback, done);
  }
}

/** A watch that lasted this long (or delivered an event) was healthy: reset the backoff. */
const HEALTHY_WATCH_MS = 1000;
/** How long past its timeoutSeconds a watch may stay open before we call it stalled. */
const STALL_GRACE_MS = 60_000;

/** Ends a watch so that ListWatch forgets its resourceVersion and lists again (its 410 path). */
const RELIST = Object.assign(new ApiError("relist", 410), { code: 410 });

export class KindInformer {
  readonly resource: string;
  private readonly lw: ListWatch<KubernetesObject>;
  private readonly fingerprints = new Map<string, string>();
  private readonly backoff: Backoff;
  private readonly defaults: { readonly apiVersion: string; readonly kind: string };
  private stopped = true;
  private synced = false;
  private served = true;
  private notServedLogged = false;
  private connected = false;
  private staleSince: number | undefined;
  private failing = false;
  private listedPending = false;
  private rewatchDelayMs = 0;
  /** not served, but the cache may hold objects from before: relist without waiting */
  private relistNow = false;
  private openedAt: number | undefined;
  private eventsInStream = 0;
  private lists = 0;
  private watches = 0;
  private timer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private relistTimer: NodeJS.Timeout | undefined;
  /** ends the open watch so that ListWatch lists again; undefined while no watch is open */
  private endWatch: (() => void) | undefined;
  /** the next list is a periodic drift check */
  private driftCheck = false;
  /** objects the last list changed in the cache (counted by upsert/remove until the watch opens) */
  private listChanges = 0;
  private drift = 0;
  private readonly sleepers = new Set<() => void>();

  constructor(private readonly opts: InformerOptions) {
    const { spec, groupVersion } = opts;
    this.resource = resourceName(spec, groupVersion);
    this.backoff = new Backoff(opts.backoff);
    this.defaults = { apiVersion: apiVersionOf(spec, groupVersion), kind: spec.kind };
    const watch = new HookedWatch(opts.kc, (inner, path, query, callback, done) =>
      this.openWatch(inner, path, query, callback, done),
    );
    // autoStart false: makeInformer's behaviour; we start it ourselves once the callbacks are on.
    this.lw = new ListWatch(collectionPath(spec, groupVersion), watch, () => this.list(), false);
    this.lw.on("add", (o) => this.upsert(o));
    this.lw.on("update", (o) => this.upsert(o));
    this.lw.on("delete", (o) => this.remove(o));
    this.lw.on("error", (e: unknown) => this.onError(e));
  }

  get kind(): string {
    return this.opts.spec.kind;
  }

  isSynced(): boolean {
    return this.synced;
  }

  /** The cached (slim) objects: the last synced view, also while reconnecting. */
  objects(): readonly SlimObject[] {
    return this.lw.list() as unknown as readonly SlimObject[];
  }

  /** One cached object by name. */
  get(name: string): SlimObject | undefined {
    return this.lw.get(name) as unknown as SlimObject | undefined;
  }

  /** undefined while the kind is known to match the API server (watching, or known not to be served). */
  staleSinceMs(): number | undefined {
    return this.connected || !this.served ? undefined : this.staleSince;
  }

  status(): InformerStatus {
    const staleSince = this.staleSinceMs();
    return {
      kind: this.opts.spec.kind,
      resource: this.resource,
      synced: this.synced,
      served: this.served,
      connected: this.connected,
      ...(staleSince !== undefined && { staleSince }),
      resourceVersion: this.lw.latestResourceVersion(),
      objects: this.lw.list().length,
      lists: this.lists,
      watches: this.watches,
      drift: this.drift,
    };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.staleSince = this.opts.now();
    if (!this.opts.servedInDiscovery) {
      // Nothing to list: empty, and synced as such. Look again later in case the CRD is installed.
      this.markNotServed("not in API discovery");
      this.synced = true;
      this.opts.onListed(0);
      this.schedule(this.opts.notServedRecheckMs);
      return;
    }
    this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.watchdog);
    clearTimeout(this.relistTimer);
    for (const wake of this.sleepers) wake();
    this.sleepers.clear();
    // Aborts the open watch; the abort error that follows is ignored (stopped).
    await this.lw.stop();
  }

  private run(): void {
    if (this.stopped) return;
    // start() lists when ListWatch has no resourceVersion (first time, after a 410), else resumes the watch.
    this.lw.start().catch((e: unknown) => this.onError(e));
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.run();
    }, ms);
    this.timer.unref();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(t);
        this.sleepers.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      t.unref();
      this.sleepers.add(wake);
    });
  }

  private log(level: Parameters<ClusterLogger>[0], msg: string, fields: Record<string, unknown> = {}): void {
    this.opts.logger(level, `${this.resource}: ${msg}`, {
      kind: this.opts.spec.kind,
      resource: this.resource,
      ...fields,
    });
  }

  private markNotServed(why: string): void {
    if (!this.notServedLogged) {
      this.log("warn", `not served by this cluster (${why}); treated as empty`, { reason: why });
      this.notServedLogged = true;
    }
    this.served = false;
  }

  /** ListWatch's list function: all pages, slimmed; a 404 is an empty list. */
  private async list(): Promise<KubernetesListObject<KubernetesObject>> {
    const { get, spec, groupVersion, pageSize } = this.opts;
    this.lists++;
    try {
      const result = await listAll(get, spec, groupVersion, pageSize);
      if (!this.served) this.log("info", "served again; reading it");
      this.served = true;
      this.notServedLogged = false;
      if (result.unnamed > 0) this.log("warn", `${result.unnamed} listed object(s) without a name ignored`);
      const differing = this.compareWithCache(result.items);
      if (this.driftCheck) {
        this.driftCheck = false;
        if (differing > 0) {
          this.drift += differing;
          this.log(
            "warn",
            `periodic relist: ${differing} object(s) differ from the watched state (missed watch events, or etcd restored); replacing them`,
            { objects: differing },
          );
          this.opts.onDrift?.(differing);
        }
      }
      this.listedPending = true;
      this.listChanges = 0;
      return {
        apiVersion: result.apiVersion,
        kind: `${result.kind}List`,
        metadata: { resourceVersion: result.resourceVersion },
        items: result.items as unknown as KubernetesObject[],
      };
    } catch (e) {
      if (statusCodeOf(e) !== 404) throw e;
      // The CRD is not installed (or was removed): nothing of this kind exists for Felix either.
      // An empty list makes ListWatch delete what it still had.
      this.markNotServed(errorText(e));
      this.driftCheck = false;
      this.listedPending = true;
      this.listChanges = 0;
      return { metadata: { resourceVersion: "" }, items: [] };
    }
  }

  /**
   * How many listed objects differ from the cache (new, changed or gone). A cached object whose
   * content differs under the same resourceVersion loses its resourceVersion, so that ListWatch (which
   * compares only resourceVersions) replaces it with the listed one.
   */
  private compareWithCache(items: readonly SlimObject[]): number {
    let differing = 0;
    const listed = new Set<string>();
    for (const item of items) {
      listed.add(item.metadata.name);
      const known = this.fingerprints.get(item.metadata.name);
      if (known === fingerprint(item)) continue;
      differing++;
      const cached = known === undefined ? undefined : this.get(item.metadata.name);
      if (cached && cached.metadata.resourceVersion === item.metadata.resourceVersion) {
        delete (cached.metadata as { resourceVersion?: string }).resourceVersion;
      }
    }
    for (const name of this.fingerprints.keys()) if (!listed.has(name)) differing++;
    return differing;
  }

  private upsert(object: KubernetesObject): void {
    const slim = object as unknown as SlimObject;
    const print = fingerprint(slim);
    if (this.fingerprints.get(slim.metadata.name) === print) return;
    this.fingerprints.set(slim.metadata.name, print);
    this.listChanges++;
    this.opts.onChange(slim.metadata.name);
  }

  private remove(object: KubernetesObject): void {
    const name = object.metadata?.name ?? "";
    if (!this.fingerprints.delete(name)) return;
    this.listChanges++;
    this.opts.onChange(name);
  }

  /** A periodic relist: end the open watch the way a 410 does, so that ListWatch lists again. */
  private scheduleRelist(): void {
    const interval = this.opts.relistIntervalMs ?? 0;
    if (interval <= 0 || this.stopped) return;
    clearTimeout(this.relistTimer);
    // ±10 % so that the replicas and the kinds do not all list at the same moment.
    this.relistTimer = setTimeout(
      () => {
        this.relistTimer = undefined;
        if (this.stopped) return;
        if (this.endWatch === undefined) {
          // Not watching (reconnecting, or not served): the reconnect lists or resumes by itself; look again later.
          this.scheduleRelist();
          return;
        }
        this.driftCheck = true;
        this.endWatch();
      },
      interval * (0.9 + 0.2 * Math.random()),
    );
    this.relistTimer.unref();
  }

  /** Every watch request ListWatch makes comes through here (HookedWatch). Never rejects. */
  private async openWatch(
    inner: InnerWatch,
    path: string,
    query: Query,
    callback: WatchCallback,
    done: DoneCallback,
  ): Promise<AbortController> {
    // ListWatch calls watch() right after it has stored a list (it does not check whether it was
    // stopped meanwhile): this is where the initial list is known to be done.
    if (this.stopped) return new AbortController();
    if (this.listedPending) {
      this.listedPending = false;
      // A list is a consistent snapshot: the cache matched the API server when it arrived.
      if (!this.connected) this.staleSince = this.opts.now();
      if (!this.synced) {
        this.synced = true;
        this.log("debug", "initial list done", { objects: this.lw.list().length });
      }
      this.opts.onListed(this.listChanges);
      if (this.served) this.scheduleRelist();
    }
    if (!this.served) {
      // Nothing to watch. End this "watch" like a 410 so that ListWatch lists again: at once after a
      // watch 404 (to empty the cache), else after notServedRecheckMs (is the CRD installed now?).
      // Deferred, so that ListWatch has stored our return value before it runs its next round.
      if (this.relistNow) this.relistNow = false;
      else await this.sleep(this.opts.notServedRecheckMs);
      setImmediate(() => {
        if (!this.stopped) done(RELIST);
      });
      return new AbortController();
    }
    const delay = this.rewatchDelayMs;
    this.rewatchDelayMs = 0;
    if (delay > 0) {
      await this.sleep(delay);
      if (this.stopped) return new AbortController();
    }
    const timeoutSeconds = this.opts.watchTimeoutSeconds ?? Math.round(300 * (1 + Math.random()));
    let ended = false;
    const onDone: DoneCallback = (e) => {
      if (ended) return;
      ended = true;
      this.endWatch = undefined;
      this.onWatchEnd(e);
      done(e);
    };
    const onEvent: WatchCallback = (phase, object, raw) => {
      const out = this.onWatchEvent(phase, object);
      if (out !== undefined) callback(phase, out, raw);
    };
    this.watches++;
    let controller: AbortController;
    try {
      controller = await inner(
        path,
        { ...query, allowWatchBookmarks: true, timeoutSeconds },
        onEvent,
        onDone,
      );
    } catch (e) {
      // Watch.watch throws (instead of calling done) when the kubeconfig cannot produce credentials;
      // thrown here it would become an unhandled rejection inside ListWatch.
      onDone(e);
      return new AbortController();
    }
    if (this.stopped) {
      // stop() came while the request was being made: ListWatch had no request to abort yet.
      controller.abort();
      return controller;
    }
    if (!ended) {
      this.onWatchOpen(controller, timeoutSeconds);
      this.endWatch = () => {
        // A deliberate end: relist at once, without the backoff of a stream that ended early.
        this.eventsInStream++;
        onDone(RELIST);
        controller.abort();
      };
    }
    return controller;
  }

  private onWatchOpen(controller: AbortController, timeoutSeconds: number): void {
    this.connected = true;
    this.staleSince = undefined;
    this.openedAt = performance.now();
    this.eventsInStream = 0;
    if (this.failing) this.log("info", "watching again");
    this.failing = false;
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(
      () => {
        this.log("warn", `watch delivered nothing past its ${timeoutSeconds} s timeout; reconnecting`);
        controller.abort();
      },
      timeoutSeconds * 1000 + STALL_GRACE_MS,
    );
    this.watchdog.unref();
  }

  private onWatchEnd(e: unknown): void {
    clearTimeout(this.watchdog);
    const healthy =
      this.openedAt !== undefined &&
      (this.eventsInStream > 0 || performance.now() - this.openedAt >= HEALTHY_WATCH_MS);
    this.openedAt = undefined;
    if (this.connected || this.staleSince === undefined) this.staleSince = this.opts.now();
    this.connected = false;
    if (this.stopped) return;
    if (healthy) this.backoff.reset();
    const code = e ? statusCodeOf(e) : undefined;
    if (!e || code === 410) {
      // A normal end (the server's timeoutSeconds, a restart of the API server) or 410 Gone: ListWatch
      // re-watches or relists by itself; we only slow it down when the stream was not healthy.
      this.rewatchDelayMs = healthy ? 0 : this.backoff.next();
      this.log("debug", code === 410 ? "watch expired (410 Gone); relisting" : "watch ended; resuming", {
        delayMs: this.rewatchDelayMs,
      });
    }
    // Any other error reaches onError through ListWatch's `error` event.
  }

  private onWatchEvent(phase: string, object: unknown): unknown {
    switch (phase) {
      case "ADDED":
      case "MODIFIED":
      case "DELETED": {
        const slim = slimObject(this.opts.spec, object, this.defaults);
        if (slim === undefined) {
          this.log("warn", `${phase} event for an object without a name ignored`);
          return undefined;
        }
        this.eventsInStream++;
        return slim;
      }
      case "BOOKMARK":
        // Only apiVersion, kind and metadata.resourceVersion: ListWatch takes the resourceVersion.
        this.eventsInStream++;
        return object;
      case "ERROR": {
        // A watch that starts from a compacted resourceVersion gets HTTP 200 and then this Status
        // (code 410, reason Expired) and the stream ends; ListWatch forgets the resourceVersion and,
        // when the stream closes, lists again.
        const status = object as { code?: unknown; reason?: unknown; message?: unknown } | null;
        const code = typeof status?.code === "number" ? status.code : undefined;
        this.log(
          code === 410 ? "info" : "warn",
          `watch error event: ${String(status?.message ?? "no message")}`,
          {
            code,
            reason: status?.reason,
          },
        );
        return object;
      }
      default:
        this.log("debug", `unknown watch event type ${JSON.stringify(phase)} ignored`);
        return undefined;
    }
  }

  /** ListWatch's `error`: a list failed, or a watch failed other than with 410. It has stopped. */
  private onError(e: unknown): void {
    if (this.stopped) return;
    this.connected = false;
    this.staleSince ??= this.opts.now();
    if (statusCodeOf(e) === 404) {
      // The watch says the resource is gone (CRD deleted after our list): list again at once; the
      // list turns the 404 into "not served" and empties the cache, as Felix's view is empty too.
      this.markNotServed(errorText(e));
      this.relistNow = true;
      this.run();
      return;
    }
    const delay = this.backoff.next();
    // Loud on the first failure and then every tenth (about every 5 min at the 30 s cap), quiet between.
    // client-node's Watch reports a failed watch request as `Error(statusText)` with `statusCode`,
    // without the Status body: add the code so the line says what happened.
    const code = statusCodeOf(e);
    const text =
      e instanceof ApiError || code === undefined ? errorText(e) : `watch: HTTP ${code} ${errorText(e)}`;
    this.log(this.backoff.attempts % 10 === 1 ? "warn" : "debug", `${text}; retrying`, {
      retryInMs: delay,
      attempt: this.backoff.attempts,
    });
    this.failing = true;
    this.schedule(delay);
  }
}
