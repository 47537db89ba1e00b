/**
 * Small memo tools for content keys (engine/signatures.ts and friends): numbers for immutable
 * objects, short digests for long keys, and memo tables hung on objects so they go when the objects
 * do.
 */
import { createHash } from "node:crypto";

const objectIds = new WeakMap<object, number>();
let nextObjectId = 1;

/** A number per object, never reused: immutable objects make it a content id. */
export function objectId(o: object): number {
  let id = objectIds.get(o);
  if (id === undefined) {
    id = nextObjectId++;
    objectIds.set(o, id);
  }
  return id;
}

/** A short stand-in for a long key; SHA-1 makes an accidental collision a non-event. */
export function digest(text: string): string {
  return createHash("sha1").update(text).digest("base64url");
}

export function memoOn<K extends object, V>(
  map: WeakMap<K, Map<string, V>>,
  owner: K,
  key: string,
  make: () => V,
): V {
  let inner = map.get(owner);
  if (!inner) map.set(owner, (inner = new Map()));
  let value = inner.get(key);
  if (value === undefined) {
    value = make();
    inner.set(key, value);
  }
  return value;
}

/** One value per object, computed once. */
export function memoOnce<K extends object, V>(map: WeakMap<K, V>, owner: K, make: () => V): V {
  let value = map.get(owner);
  if (value === undefined) {
    value = make();
    map.set(owner, value);
  }
  return value;
}
