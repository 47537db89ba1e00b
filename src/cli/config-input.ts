import { readFileSync } from "node:fs";
import { defaultConfig, parseConfigYaml } from "../config/index.js";
import type { GuardConfig } from "../config/types.js";
import { UsageError } from "./io.js";

/** `--config F`, or the built-in default (profile rancher, enforce). */
export function loadConfigFile(path: string | undefined): GuardConfig {
  if (path === undefined) return defaultConfig();
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read config ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const config = parseConfigYaml(text);
  if (!config.ok) {
    const first = config.error[0];
    const more = config.error.length > 1 ? ` (+${config.error.length - 1} more)` : "";
    throw new UsageError(
      `invalid config ${path}: ${first ? `${first.path || "(root)"}: ${first.reason}` : "invalid"}${more}`,
    );
  }
  return config.value;
}
