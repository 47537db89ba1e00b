import { Counter, type Registry } from "prom-client";
import type { StateSource } from "../cluster/state-source.js";

/**
 * `hostguard_state_drift_total{kind}`: objects a periodic relist found different from what the
 * watches had shown (docs/operations.md, "Drift"). Read from the source at scrape time; `kind` is one
 * of the kinds the informers read, a closed set.
 */
export function registerStateMetrics(registry: Registry, source: StateSource): void {
  const drift = source.drift?.bind(source);
  if (drift === undefined) return;
  new Counter({
    name: "hostguard_state_drift_total",
    help: "Objects a periodic full relist found different from the watched state (then replaced), by kind.",
    labelNames: ["kind"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [kind, objects] of drift()) this.inc({ kind }, objects);
    },
  });
}
