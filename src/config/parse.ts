/**
 * `parseConfig`: a decoded config document (design §6) to a GuardConfig with the profiles expanded, or
 * every problem in it. Pure and total: the webhook reloads config at runtime and must keep the old one,
 * with a useful log line, whatever the new ConfigMap holds.
 */
import { err, ok, type FieldError, type Result } from "../calico/result.js";
import type { Selector } from "../calico/types.js";
import { DEFAULT_BREAK_GLASS, parseBreakGlass } from "./break-glass.js";
import { DEFAULT_FAILSAFE, parseFailsafe } from "./failsafe.js";
import { readEnum, readList, readSelector } from "./fields.js";
import { indexPath, keyPath } from "./paths.js";
import { profileRequirements } from "./profiles.js";
import { parseRequirements } from "./requirements.js";
import { ALL_NODES } from "./selectors.js";
import { checkKeys, field, isPlainObject, nullReason, typeOf, type Errors } from "./shape.js";
import { PROFILE_NAMES, type GuardConfig, type Mode, type ProfileName } from "./types.js";

const ROOT_KEYS = [
  "mode",
  "profiles",
  "requirements",
  "failsafe",
  "coverage",
  "breakGlass",
  "maxWarnings",
] as const;
const MODES: readonly Mode[] = ["enforce", "warn", "audit"];

const DEFAULT_MODE: Mode = "enforce";
const DEFAULT_PROFILES: readonly ProfileName[] = ["rancher"];
const DEFAULT_MAX_WARNINGS = 10;
const MAX_WARNINGS_LIMIT = 100;

function readMode(value: unknown, errors: Errors): Mode {
  if (value === undefined) return DEFAULT_MODE;
  return readEnum(value, MODES, "mode", errors) ?? DEFAULT_MODE;
}

function readProfiles(value: unknown, errors: Errors): readonly ProfileName[] {
  if (value === undefined) return DEFAULT_PROFILES;
  if (value === null) {
    errors.push({
      path: "profiles",
      reason: nullReason(`a list of ${PROFILE_NAMES.join(", ")}, or [] for none`),
    });
    return [];
  }
  const list = readList(
    value,
    "profiles",
    `profile names (${PROFILE_NAMES.join(", ")}), or [] for none`,
    errors,
  );
  if (list === undefined) return [];
  const out: ProfileName[] = [];
  list.forEach((entry, i) => {
    const path = indexPath("profiles", i);
    const name = readEnum(entry, PROFILE_NAMES, path, errors);
    if (name === undefined) return;
    if (out.includes(name)) {
      errors.push({ path, reason: `duplicate profile "${name}"; list each profile once` });
      return;
    }
    out.push(name);
  });
  return out;
}

function readCoverage(value: unknown, errors: Errors): { readonly nodes: Selector } {
  if (value === undefined) return { nodes: ALL_NODES };
  if (!isPlainObject(value)) {
    errors.push({
      path: "coverage",
      reason: `expected {nodes: "<selector>"} (default all()), not ${typeOf(value)}`,
    });
    return { nodes: ALL_NODES };
  }
  checkKeys(value, ["nodes"], "coverage", errors);
  const nodes = field(value, "nodes");
  if (nodes === undefined) return { nodes: ALL_NODES };
  return { nodes: readSelector(nodes, keyPath("coverage", "nodes"), errors) ?? ALL_NODES };
}

function readMaxWarnings(value: unknown, errors: Errors): number {
  if (value === undefined) return DEFAULT_MAX_WARNINGS;
  if (typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= MAX_WARNINGS_LIMIT)
    return value;
  const shown = typeof value === "number" ? String(value) : typeOf(value);
  errors.push({
    path: "maxWarnings",
    reason: `${shown} is not accepted: use a whole number from 1 to ${MAX_WARNINGS_LIMIT}`,
  });
  return DEFAULT_MAX_WARNINGS;
}

/** The config of an empty document. */
export function defaultConfig(): GuardConfig {
  return {
    mode: DEFAULT_MODE,
    profiles: [...DEFAULT_PROFILES],
    requirements: DEFAULT_PROFILES.flatMap(profileRequirements),
    failsafe: DEFAULT_FAILSAFE,
    coverage: { nodes: ALL_NODES },
    breakGlass: DEFAULT_BREAK_GLASS,
    maxWarnings: DEFAULT_MAX_WARNINGS,
  };
}

function parseRoot(value: unknown): Result<GuardConfig, FieldError[]> {
  // An empty YAML document decodes to null: that is "all defaults", not a mistake.
  if (value === undefined || value === null) return ok(defaultConfig());
  if (!isPlainObject(value)) {
    return err([
      { path: "", reason: `the config must be a mapping of ${ROOT_KEYS.join(", ")}; found ${typeOf(value)}` },
    ]);
  }
  const errors: Errors = [];
  checkKeys(value, ROOT_KEYS, "", errors);
  const mode = readMode(field(value, "mode"), errors);
  const profiles = readProfiles(field(value, "profiles"), errors);
  const builtIn = profiles.flatMap((profile) => profileRequirements(profile).map((r) => ({ profile, r })));
  const reserved = new Map(builtIn.map(({ profile, r }) => [r.name, profile] as const));
  const custom = parseRequirements(field(value, "requirements"), "requirements", reserved, errors);
  const failsafe = parseFailsafe(field(value, "failsafe"), "failsafe", errors);
  const coverage = readCoverage(field(value, "coverage"), errors);
  const breakGlass = parseBreakGlass(field(value, "breakGlass"), "breakGlass", errors);
  const maxWarnings = readMaxWarnings(field(value, "maxWarnings"), errors);
  if (errors.length > 0) return err(errors);
  return ok({
    mode,
    profiles,
    requirements: [...builtIn.map(({ r }) => r), ...custom],
    failsafe,
    coverage,
    breakGlass,
    maxWarnings,
  });
}

/** Validates a decoded config document; never throws. */
export function parseConfig(value: unknown): Result<GuardConfig, FieldError[]> {
  try {
    return parseRoot(value);
  } catch (e) {
    // Defence in depth, as in parseSelector: a bug here must become a refused reload with a message,
    // never an exception in the reload loop (e.g. a getter on an object handed in by library code).
    const detail = e instanceof Error ? (e.message.split("\n")[0] ?? "") : String(e);
    return err([{ path: "", reason: `internal error while reading the config (${detail})` }]);
  }
}
