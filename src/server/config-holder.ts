import type { FieldError } from "../calico/result.js";
import { parseConfigYaml } from "../config/index.js";
import type { GuardConfig } from "../config/types.js";

/**
 * The guard config in force. A reload that fails keeps the previous config (design §6) and is
 * reported; with no valid config at all the webhook is not ready.
 */
export class ConfigHolder {
  private config: GuardConfig | undefined;
  private lastError: string | undefined;

  constructor(initial?: GuardConfig) {
    this.config = initial;
  }

  current(): GuardConfig | undefined {
    return this.config;
  }

  error(): string | undefined {
    return this.lastError;
  }

  /** The file could not be read: the old config stays, and the failure is reported like a bad one. */
  reject(reason: string): void {
    this.lastError = reason;
  }

  /** Returns the errors when the text is invalid (the old config stays). */
  load(text: string): readonly FieldError[] {
    const parsed = parseConfigYaml(text);
    if (!parsed.ok) {
      this.lastError = parsed.error.map((e) => `${e.path || "(root)"}: ${e.reason}`).join("; ");
      return parsed.error;
    }
    this.config = parsed.value;
    this.lastError = undefined;
    return [];
  }
}

/**
 * The lock-out checks a config switches off: required-ports with no requirement at all (`profiles:
 * []` and no `requirements`), failsafe-ports with both lists empty (`failsafe: none`), node-coverage
 * with a selector that matches no node (`!all()`). calico-valid cannot be switched off.
 */
export function checksOff(config: GuardConfig): string[] {
  const off: string[] = [];
  if (config.requirements.length === 0) off.push("required-ports");
  if (config.failsafe.inbound.length === 0 && config.failsafe.outbound.length === 0)
    off.push("failsafe-ports");
  const root = config.coverage.nodes.root;
  if (root.kind === "not" && root.operand.kind === "all") off.push("node-coverage");
  return off;
}

/** 3: the lock-out checks are all off */
export const LOCKOUT_CHECKS = 3;
