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
