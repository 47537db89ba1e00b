/**
 * Adapters for the library API (design §8): turn the plain data a caller has (label objects or
 * Maps, objects parsed from YAML/JSON, selector text) into the core's types, and every failure,
 * including an exception nobody foresaw, into a result. The core's own types stay as they are.
 */
import { err, ok, type Result } from "../calico/result.js";
import { parseSelector as parseSelectorText, type Labels, type Selector } from "../calico/selector/index.js";
import {
  defaultConfig as coreDefaultConfig,
  parseConfig as coreParseConfig,
  parseConfigYaml as coreParseConfigYaml,
  type GuardConfig,
} from "../config/index.js";
import type { DecisionRequest, UserInfo } from "../decision/decide.js";
import { loadState as coreLoadState, type LoadedState } from "../engine/load.js";
import { ClusterState } from "../engine/state.js";

/** The first line of whatever was thrown. */
export function describeThrown(e: unknown): string {
  let text: string;
  try {
    text = e instanceof Error ? e.message : String(e);
  } catch {
    text = "unprintable error";
  }
  return text.split("\n")[0] ?? text;
}

/** Runs `fn`; an exception becomes `err(onThrow(message))`. */
export function guarded<T, E>(fn: () => Result<T, E>, onThrow: (message: string) => E): Result<T, E> {
  try {
    return fn();
  } catch (e) {
    return err(onThrow(`internal error: ${describeThrown(e)}`));
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Labels from a Map or a plain object (`metadata.labels`); null/undefined is no labels. */
export function toLabels(input: unknown): Result<Labels, string> {
  if (input === undefined || input === null) return ok(new Map());
  const entries: Iterable<[unknown, unknown]> | undefined =
    input instanceof Map
      ? (input as Map<unknown, unknown>)
      : isRecord(input)
        ? Object.entries(input)
        : undefined;
  if (entries === undefined) return err("labels must be a Map or an object of string values");
  // A Map even for plain objects: a label named `constructor` must not find Object.prototype.
  const labels = new Map<string, string>();
  for (const [key, value] of entries) {
    if (typeof key !== "string") return err("label keys must be strings");
    if (typeof value !== "string") return err(`label "${key.slice(0, 63)}" must have a string value`);
    labels.set(key, value);
  }
  return ok(labels);
}

/** A selector as text, or as parseSelector returned it (possibly after a JSON round trip). */
export function toSelector(input: unknown): Result<Selector, string> {
  const fromText = (text: string) => {
    const parsed = parseSelectorText(text);
    return parsed.ok ? parsed : err(`selector: ${parsed.error.reason}`);
  };
  if (typeof input === "string") return fromText(input);
  if (isRecord(input)) {
    if (isRecord(input.root) && typeof input.root.kind === "string") return ok(input as unknown as Selector);
    if (typeof input.source === "string") return fromText(input.source);
  }
  return err("selector must be selector text or a parsed selector");
}

/**
 * Configs built by this API. Anything else is read as the config file's data (parsed YAML), so a
 * GuardConfig-shaped object from elsewhere is validated rather than trusted.
 */
const builtConfigs = new WeakSet<GuardConfig>();

export function remember<E>(result: Result<GuardConfig, E>): Result<GuardConfig, E> {
  if (result.ok) builtConfigs.add(result.value);
  return result;
}

export function newDefaultConfig(): GuardConfig {
  const config = coreDefaultConfig();
  builtConfigs.add(config);
  return config;
}
export const parseConfigData = (value: unknown) => remember(coreParseConfig(value));
export const parseConfigText = (text: unknown) => remember(coreParseConfigYaml(text as string));

/** A config built by this API, the config file's data, its YAML text, or nothing (the default). */
export function toConfig(input: unknown): Result<GuardConfig, string> {
  if (input === undefined || input === null) return ok(newDefaultConfig());
  if (typeof input === "object" && builtConfigs.has(input as GuardConfig)) return ok(input as GuardConfig);
  const parsed = typeof input === "string" ? parseConfigText(input) : parseConfigData(input);
  if (parsed.ok) return parsed;
  return err(`config: ${parsed.error.map((e) => (e.path ? `${e.path}: ${e.reason}` : e.reason)).join("; ")}`);
}

/** Objects as parsed from YAML/JSON: an array, a `kind: List` (or any `items` array), or one object. */
export function toObjects(input: unknown): Result<readonly unknown[], string> {
  if (Array.isArray(input)) return ok(input);
  if (isRecord(input)) return ok(Array.isArray(input.items) ? input.items : [input]);
  return err("objects must be an array of Kubernetes objects, a List, or one object");
}

export function loadObjects(input: unknown): Result<LoadedState, string> {
  const objects = toObjects(input);
  return objects.ok ? ok(coreLoadState(objects.value)) : objects;
}

/** A state from loadState (or its `state`), or the objects to load one from. */
export function toState(input: unknown): Result<ClusterState, string> {
  if (input instanceof ClusterState) return ok(input);
  if (isRecord(input) && input.state instanceof ClusterState) return ok(input.state);
  const loaded = loadObjects(input);
  return loaded.ok ? ok(loaded.value.state) : err(`state: ${loaded.error}`);
}

const OPERATIONS = ["CREATE", "UPDATE", "DELETE"] as const;

function toUser(input: unknown): Result<UserInfo | undefined, string> {
  if (input === undefined || input === null) return ok(undefined);
  if (!isRecord(input) || typeof input.username !== "string") return err("user.username must be a string");
  const groups = input.groups ?? [];
  if (!Array.isArray(groups) || !groups.every((g) => typeof g === "string"))
    return err("user.groups must be a list of strings");
  return ok({ username: input.username, groups });
}

/**
 * A change as plain data: `{ operation, object }` for CREATE/UPDATE (kind and name default to the
 * object's), `{ operation: "DELETE", kind, name }` or `{ operation: "DELETE", oldObject }`.
 */
export function toRequest(input: unknown): Result<DecisionRequest, string> {
  if (!isRecord(input)) return err("the change must be an object with an operation");
  const operation = typeof input.operation === "string" ? input.operation.toUpperCase() : undefined;
  if (!OPERATIONS.includes(operation as (typeof OPERATIONS)[number]))
    return err("operation must be CREATE, UPDATE or DELETE");
  const described = isRecord(input.object) ? input.object : isRecord(input.oldObject) ? input.oldObject : {};
  const metadata = isRecord(described.metadata) ? described.metadata : {};
  const kind = input.kind ?? described.kind;
  const name = input.name ?? metadata.name;
  if (typeof kind !== "string" || kind === "") return err("kind must be a string (or the object's kind)");
  if (typeof name !== "string") return err("name must be a string (or the object's metadata.name)");
  if (operation !== "DELETE" && input.object === undefined) return err(`${operation} needs the object`);
  const user = toUser(input.user);
  if (!user.ok) return user;
  return ok({
    operation: operation as DecisionRequest["operation"],
    kind,
    name,
    ...(input.object !== undefined && { object: input.object }),
    ...(input.oldObject !== undefined && { oldObject: input.oldObject }),
    ...(user.value !== undefined && { user: user.value }),
    ...(input.dryRun === true && { dryRun: true }),
  });
}
