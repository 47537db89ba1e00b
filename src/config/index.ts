/** The guard's configuration (design §6): parsing, defaults and the built-in profiles. */
export type {
  BreakGlass,
  FailsafeRequirement,
  GuardConfig,
  Mode,
  ProfileName,
  RequiredPort,
  RequiredSource,
  Requirement,
} from "./types.js";
export { PROFILE_NAMES } from "./types.js";
export { defaultConfig, parseConfig } from "./parse.js";
export { parseConfigYaml } from "./parse-yaml.js";
export { profileRequirements } from "./profiles.js";
export { PORT_FORMS, parsePortTarget, portLabel, requiredPort, type PortTarget } from "./port-spec.js";
export { DEFAULT_BREAK_GLASS_ANNOTATION } from "./break-glass.js";
