/**
 * A small Kubernetes API server for the informer tests: discovery, list (with limit/continue) and watch
 * (`?watch=true`, newline-delimited JSON events on an HTTP 200 chunked response) for Nodes and the Calico
 * kinds, in the wire format recorded in ../shared/fixtures/apiserver (README there). It starts from the
 * recorded lists — served byte for byte while unchanged — replays recorded watch lines as they are, and
 * keeps an event log so that a watch from an older resourceVersion gets the events it missed, or, when
 * that resourceVersion was "compacted", the recorded `ERROR 410 Expired` event.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { parse } from "yaml";
import { FIXTURES_DIR, SHARED_DIR } from "../helpers/shared.js";

export const APISERVER_DIR = join(FIXTURES_DIR, "apiserver");
export const TOKEN = "test-token";

type Json = Record<string, unknown>;
interface Meta {
  name: string;
  resourceVersion?: string;
  [k: string]: unknown;
}
export interface KObject {
  apiVersion?: string;
  kind?: string;
  metadata: Meta;
  [k: string]: unknown;
}

export interface RecordedRequest {
  readonly path: string;
  readonly query: URLSearchParams;
  readonly watch: boolean;
}

interface Failure {
  readonly status: number;
  readonly body: string;
}

interface Resource {
  readonly path: string;
  readonly apiVersion: string;
  readonly listKind: string;
  /** core kinds: list items carry no apiVersion/kind, watch objects do */
  readonly itemKind: string;
  readonly core: boolean;
  items: Map<string, KObject>;
  /** the recorded list body, served while nothing changed and no page was asked for */
  pristine?: string;
  log: { rv: number; line: string }[];
  compactedRv: number;
  watches: Set<ServerResponse>;
  served: boolean;
  listFailures: Failure[];
  watchFailure?: Failure;
  held?: Promise<void>;
  expireContinue: boolean;
}

export function statusBody(code: number, reason: string, message: string): string {
  return JSON.stringify({
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    code,
  });
}

/** The Calico CRDs of ../shared/calico-crds/v3.28 as an APIResourceList entry each (what kube-apiserver derives from them). */
function crdResources(): Json[] {
  const dir = join(SHARED_DIR, "calico-crds", "v3.28");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => {
      const crd = parse(readFileSync(join(dir, f), "utf8")) as {
        spec: { names: { plural: string; singular: string; kind: string }; scope: string };
      };
      return {
        name: crd.spec.names.plural,
        singularName: crd.spec.names.singular,
        namespaced: crd.spec.scope === "Namespaced",
        kind: crd.spec.names.kind,
        verbs: ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"],
        storageVersionHash: "x",
      };
    });
}

export const CALICO_PLURALS = [
  "hostendpoints",
  "globalnetworkpolicies",
  "globalnetworksets",
  "felixconfigurations",
  "kubecontrollersconfigurations",
] as const;

export interface FakeOptions {
  /** which Calico group/versions discovery lists; default only crd.projectcalico.org/v1 (the recorded cluster) */
  readonly groups?: readonly ("crd.projectcalico.org/v1" | "projectcalico.org/v3")[];
  /** extra resources discovery lists for every Calico group (e.g. "tiers", which v3.28 has no CRD for) */
  readonly extraDiscovered?: readonly string[];
}

export class FakeApiServer {
  readonly requests: RecordedRequest[] = [];
  private readonly resources = new Map<string, Resource>();
  private rv = 411;
  private readonly server: Server;
  private readonly crds = crdResources();

  private constructor(private readonly opts: FakeOptions) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        res.writeHead(500).end(statusBody(500, "InternalError", String(e)));
      });
    });
  }

  static async start(opts: FakeOptions = {}): Promise<FakeApiServer> {
    const fake = new FakeApiServer(opts);
    const groups = opts.groups ?? ["crd.projectcalico.org/v1"];
    fake.loadList("/api/v1/nodes", "list-nodes.json", true);
    for (const gv of groups) {
      for (const plural of CALICO_PLURALS)
        fake.loadList(`/apis/${gv}/${plural}`, `list-${plural}.json`, false, gv);
    }
    await new Promise<void>((resolve) => fake.server.listen(0, "127.0.0.1", resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const r of this.resources.values()) for (const w of r.watches) w.end();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // After close(): no connection can sneak in between the two and keep the server open.
    this.server.closeAllConnections();
    await closed;
  }

  /** A recorded list, as served at `path`; for projectcalico.org/v3 its apiVersions are rewritten. */
  private loadList(path: string, file: string, core: boolean, groupVersion?: string): void {
    let text = readFileSync(join(APISERVER_DIR, file), "utf8");
    if (groupVersion !== undefined && groupVersion !== "crd.projectcalico.org/v1") {
      text = text.replaceAll('"apiVersion":"crd.projectcalico.org/v1"', `"apiVersion":"${groupVersion}"`);
    }
    const list = JSON.parse(text) as { apiVersion: string; kind: string; items: KObject[] };
    this.resources.set(path, {
      path,
      apiVersion: list.apiVersion,
      listKind: list.kind,
      itemKind: list.kind.replace(/List$/, ""),
      core,
      items: new Map(list.items.map((i) => [i.metadata.name, i])),
      pristine: text,
      log: [],
      compactedRv: 0,
      watches: new Set(),
      served: true,
      listFailures: [],
      expireContinue: false,
    });
  }

  private resource(path: string): Resource {
    const r = this.resources.get(path);
    if (!r) throw new Error(`fake API server: no resource at ${path}`);
    return r;
  }

  /** Serve (or stop serving: 404 on list and watch) the collection at `path`, empty when new. */
  serve(path: string, served: boolean, kinds?: { apiVersion: string; listKind: string }): void {
    const r = this.resources.get(path);
    if (r) {
      r.served = served;
      if (!served) for (const w of r.watches) w.end();
      return;
    }
    const listKind = kinds?.listKind ?? "List";
    this.resources.set(path, {
      path,
      apiVersion: kinds?.apiVersion ?? "v1",
      listKind,
      itemKind: listKind.replace(/List$/, ""),
      core: false,
      items: new Map(),
      log: [],
      compactedRv: 0,
      watches: new Set(),
      served,
      listFailures: [],
      expireContinue: false,
    });
  }

  items(path: string): KObject[] {
    return [...this.resource(path).items.values()];
  }

  /** Every stored object of every collection that is served. */
  allItems(): KObject[] {
    return [...this.resources.values()].filter((r) => r.served).flatMap((r) => [...r.items.values()]);
  }

  /** The next list of `path` fails with this status and body (one-shot, queued). */
  failNextList(path: string, status: number, body: string): void {
    this.resource(path).listFailures.push({ status, body });
  }

  /** Every watch of `path` is answered with this status until cleared. */
  failWatches(path: string, failure: Failure | undefined): void {
    this.resource(path).watchFailure = failure;
  }

  /** Lists of `path` wait until the returned function is called. */
  holdLists(path: string): () => void {
    let release = () => {};
    this.resource(path).held = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.resource(path).held = undefined;
      release();
    };
  }

  /** The next `continue` request for `path` gets 410 Expired. */
  expireContinueTokens(path: string): void {
    this.resource(path).expireContinue = true;
  }

  /** A write: a new resourceVersion, the store updated, the event sent to open watches and logged. */
  emit(path: string, type: "ADDED" | "MODIFIED" | "DELETED", object: KObject): KObject {
    const r = this.resource(path);
    const stored = structuredClone(object);
    stored.metadata.resourceVersion = String(++this.rv);
    // Watch events carry apiVersion/kind for every kind, built-in or not.
    stored.apiVersion ??= r.apiVersion;
    stored.kind ??= r.itemKind;
    this.store(r, type, stored);
    this.send(r, JSON.stringify({ type, object: stored }), this.rv);
    return stored;
  }

  /** One recorded watch line, sent byte for byte; the store and the resourceVersion follow it. */
  replay(path: string, line: string): void {
    const r = this.resource(path);
    const event = JSON.parse(line) as { type: string; object: KObject };
    const rv = Number(event.object.metadata.resourceVersion);
    this.rv = Math.max(this.rv, rv);
    if (event.type === "BOOKMARK") {
      for (const w of r.watches) w.write(`${line}\n`);
      return;
    }
    this.store(r, event.type, event.object);
    this.send(r, line, rv);
  }

  /** Change the store without any event (as if the events were lost to compaction). */
  mutateSilently(path: string, change: (items: Map<string, KObject>) => void): void {
    const r = this.resource(path);
    change(r.items);
    r.pristine = undefined;
    this.rv++;
  }

  /** etcd compaction: watches from a resourceVersion before now get `ERROR 410 Expired`. */
  compact(path: string): void {
    const r = this.resource(path);
    r.compactedRv = this.rv;
    r.log = [];
  }

  /** The server ends every open watch of `path` (API server restart, load balancer timeout). */
  dropWatches(path: string): void {
    for (const w of this.resource(path).watches) w.end();
  }

  openWatches(path: string): number {
    return this.resource(path).watches.size;
  }

  listRequests(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path && !r.watch);
  }

  watchRequests(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path && r.watch);
  }

  private store(r: Resource, type: string, object: KObject): void {
    r.pristine = undefined;
    if (type === "DELETED") r.items.delete(object.metadata.name);
    else if (type === "ADDED" || type === "MODIFIED") r.items.set(object.metadata.name, object);
  }

  private send(r: Resource, line: string, rv: number): void {
    r.log.push({ rv, line });
    for (const w of r.watches) w.write(`${line}\n`);
  }

  private json(res: ServerResponse, status: number, body: string): void {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(`${body}\n`);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    const watch = url.searchParams.get("watch") === "true" || url.searchParams.get("watch") === "1";
    this.requests.push({ path: url.pathname, query: url.searchParams, watch });
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      return this.json(res, 401, statusBody(401, "Unauthorized", "Unauthorized"));
    }
    if (url.pathname === "/apis") return this.json(res, 200, this.groupList());
    const gv = /^\/apis\/([^/]+\/[^/]+)$/.exec(url.pathname)?.[1];
    if (gv !== undefined) return this.resourceList(res, gv);
    const r = this.resources.get(url.pathname);
    if (!r || !r.served) {
      return this.json(
        res,
        404,
        statusBody(404, "NotFound", "the server could not find the requested resource"),
      );
    }
    return watch ? this.watch(res, r, url.searchParams) : this.list(res, r, url.searchParams);
  }

  private groupList(): string {
    const groups = (this.opts.groups ?? ["crd.projectcalico.org/v1"]).map((gv) => {
      const [name, version] = gv.split("/");
      return {
        name,
        versions: [{ groupVersion: gv, version }],
        preferredVersion: { groupVersion: gv, version },
      };
    });
    const apps = { groupVersion: "apps/v1", version: "v1" };
    return JSON.stringify({
      kind: "APIGroupList",
      apiVersion: "v1",
      groups: [{ name: "apps", versions: [apps], preferredVersion: apps }, ...groups],
    });
  }

  private resourceList(res: ServerResponse, gv: string): void {
    if (!(this.opts.groups ?? ["crd.projectcalico.org/v1"]).some((g) => g === gv)) {
      return this.json(
        res,
        404,
        statusBody(404, "NotFound", "the server could not find the requested resource"),
      );
    }
    const extra = (this.opts.extraDiscovered ?? []).map((name) => ({
      name,
      singularName: name.replace(/s$/, ""),
      namespaced: false,
      kind: "Tier",
      verbs: ["get", "list", "watch"],
    }));
    const status = this.crds.map((c) => ({
      ...c,
      name: `${String(c.name)}/status`,
      verbs: ["get", "patch", "update"],
    }));
    this.json(
      res,
      200,
      JSON.stringify({
        kind: "APIResourceList",
        apiVersion: "v1",
        groupVersion: gv,
        resources: [...this.crds, ...status, ...extra],
      }),
    );
  }

  private async list(res: ServerResponse, r: Resource, query: URLSearchParams): Promise<void> {
    if (r.held) await r.held;
    const failure = r.listFailures.shift();
    if (failure) return this.json(res, failure.status, failure.body);
    const limit = Number(query.get("limit") ?? 0);
    const token = query.get("continue");
    if (token && r.expireContinue) {
      r.expireContinue = false;
      return this.json(
        res,
        410,
        readFileSync(join(APISERVER_DIR, "list-hostendpoints-expired-410.json"), "utf8").trim(),
      );
    }
    const all = [...r.items.values()].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
    const offset = token
      ? (JSON.parse(Buffer.from(token, "base64").toString()) as { offset: number }).offset
      : 0;
    if (r.pristine !== undefined && offset === 0 && (limit === 0 || limit >= all.length)) {
      res.writeHead(200, { "content-type": "application/json" });
      return void res.end(r.pristine);
    }
    const page = limit > 0 ? all.slice(offset, offset + limit) : all.slice(offset);
    const next = limit > 0 && offset + limit < all.length ? offset + limit : undefined;
    const items = page.map((item) => {
      if (!r.core) return item;
      // Typed (built-in) lists carry apiVersion/kind on the list only.
      const { apiVersion: _a, kind: _k, ...rest } = item;
      return rest;
    });
    const metadata: Json = { resourceVersion: String(this.rv) };
    if (next !== undefined) {
      metadata.continue = Buffer.from(JSON.stringify({ offset: next, rv: this.rv })).toString("base64");
      metadata.remainingItemCount = all.length - next;
    }
    this.json(res, 200, JSON.stringify({ kind: r.listKind, apiVersion: r.apiVersion, metadata, items }));
  }

  private watch(res: ServerResponse, r: Resource, query: URLSearchParams): void {
    if (r.watchFailure) return this.json(res, r.watchFailure.status, r.watchFailure.body);
    const from = Number(query.get("resourceVersion") || 0);
    res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    res.flushHeaders();
    if (from > 0 && from < r.compactedRv) {
      // The recorded answer to a watch from a compacted resourceVersion: HTTP 200, one ERROR event, end.
      res.end(readFileSync(join(APISERVER_DIR, "hostendpoints-watch-expired.ndjson"), "utf8"));
      return;
    }
    if (from === 0) {
      // No resourceVersion: synthetic ADDED events for what exists, then changes.
      for (const item of r.items.values()) res.write(`${JSON.stringify({ type: "ADDED", object: item })}\n`);
    } else {
      for (const e of r.log) if (e.rv > from) res.write(`${e.line}\n`);
    }
    r.watches.add(res);
    res.on("close", () => r.watches.delete(res));
  }
}

/** A kubeconfig file for `server`, as kubectl would have it. */
export function kubeconfigYaml(server: string): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: fake",
    "  cluster:",
    `    server: ${server}`,
    "    insecure-skip-tls-verify: true",
    "users:",
    "- name: tester",
    "  user:",
    `    token: ${TOKEN}`,
    "contexts:",
    "- name: fake",
    "  context:",
    "    cluster: fake",
    "    user: tester",
    "current-context: fake",
    "",
  ].join("\n");
}

export function fixtureLines(file: string): string[] {
  return readFileSync(join(APISERVER_DIR, file), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "");
}
