/**
 * One consistent list of a kind, in pages.
 *
 * Pages (`limit` + `continue`) keep a big Node list from being built and sent in one piece, as client-go's
 * reflector does with 500 per page. All pages belong to the snapshot of the first one, whose
 * resourceVersion the watch then starts from. A continue token outlives etcd compaction only so long:
 * then the API server answers 410 Gone (reason Expired) and, like client-go, we fall back to one
 * unpaginated list.
 */
import { ApiError, statusCodeOf, type ApiGet } from "./api.js";
import { apiVersionOf, collectionPath, type CalicoGroupVersion, type KindSpec } from "./kinds.js";
import { record, slimObject, str, type SlimObject } from "./slim.js";

export interface ListResult {
  readonly apiVersion: string;
  readonly kind: string;
  readonly resourceVersion: string;
  readonly items: readonly SlimObject[];
  /** items without a usable metadata.name (dropped) */
  readonly unnamed: number;
}

export async function listAll(
  get: ApiGet,
  spec: KindSpec,
  groupVersion: CalicoGroupVersion,
  pageSize: number,
): Promise<ListResult> {
  const path = collectionPath(spec, groupVersion);
  let continuing = false;
  const run = async (limit: number | undefined): Promise<ListResult> => {
    const items: SlimObject[] = [];
    let unnamed = 0;
    let resourceVersion = "";
    let apiVersion = apiVersionOf(spec, groupVersion);
    let kind: string = spec.kind;
    let token: string | undefined;
    let first = true;
    do {
      continuing = !first;
      const body = record(await get(path, { limit, continue: token }));
      if (body === undefined || !Array.isArray(body.items)) {
        throw new ApiError(`GET ${path}: the answer is not a list`);
      }
      // Items of a typed list (NodeList) carry no apiVersion/kind of their own: they come from the list.
      apiVersion = str(body.apiVersion) ?? apiVersion;
      kind = str(body.kind)?.replace(/List$/, "") ?? kind;
      for (const item of body.items) {
        const slim = slimObject(spec, item, { apiVersion, kind });
        if (slim === undefined) unnamed++;
        else items.push(slim);
      }
      const meta = record(body.metadata);
      if (first) resourceVersion = str(meta?.resourceVersion) ?? "";
      token = limit === undefined ? undefined : str(meta?.continue);
      first = false;
    } while (token !== undefined);
    return { apiVersion, kind, resourceVersion, items, unnamed };
  };
  try {
    return await run(pageSize > 0 ? pageSize : undefined);
  } catch (e) {
    if (continuing && statusCodeOf(e) === 410) return run(undefined);
    throw e;
  }
}
