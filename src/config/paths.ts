/**
 * Field paths for config errors: `requirements[0].ports[2]`, `failsafe.inbound`, `breakGlass["odd key"]`.
 * Operators read these in logs after a reload was refused, so they must point at the exact YAML node.
 * Same spelling as Calico object errors (src/calico/field-path.ts).
 */
export { child as keyPath, item as indexPath } from "../calico/field-path.js";
