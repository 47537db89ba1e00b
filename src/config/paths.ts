/**
 * Field paths for config errors: `requirements[0].ports[2]`, `failsafe.inbound`, `breakGlass["odd key"]`.
 * Operators read these in logs after a reload was refused, so they must point at the exact YAML node.
 */

/** Keys that can be written after a dot without ambiguity; anything else is quoted in brackets. */
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function keyPath(parent: string, key: string): string {
  if (!PLAIN_KEY.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent === "" ? key : `${parent}.${key}`;
}

export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}
