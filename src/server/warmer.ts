/**
 * Builds the verdicts of the current cluster state between reviews, in slices (ADR 0009).
 *
 * The first decision against a state loaded from scratch evaluates every box of it (seconds on a
 * large cluster). Done in one piece, on the event loop, that blocked every review, probe and scrape
 * meanwhile (issue 12: readiness took 11–17 s at 5k nodes inside /readyz, whose probe times out
 * after 2 s). Here each slice runs the checks under a budget; what a slice finishes stays (cached
 * boxes, finished cells of the state's index), the next slice goes on from there after the event
 * loop has served what arrived. A slice that runs out doubles the next one's budget (up to
 * MAX_SLICE_MS), so a cell that takes longer than a slice still completes.
 */
import { performance } from "node:perf_hooks";
import type { StateSource } from "../cluster/state-source.js";
import type { GuardConfig } from "../config/types.js";
import { runChecks } from "../decision/decide.js";
import type { ClusterState } from "../engine/state.js";
import { budgetFrom } from "./deadline.js";

export const FIRST_SLICE_MS = 25;
export const MAX_SLICE_MS = 400;

export interface WarmerLog {
  info(fields: object, message: string): void;
  debug(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export class VerdictWarmer {
  private warmedState: ClusterState | undefined;
  private warmedConfig: GuardConfig | undefined;
  private scheduled = false;
  private stopped = false;
  private sliceMs = FIRST_SLICE_MS;
  private slices = 0;
  private building: { state: ClusterState; config: GuardConfig; started: number } | undefined;

  constructor(
    private readonly source: StateSource,
    private readonly config: () => GuardConfig | undefined,
    private readonly log: WarmerLog,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** The verdicts of some state have been built: decisions from here on are warm. */
  get ready(): boolean {
    return this.warmedState !== undefined;
  }

  /** Build the current state's verdicts, if they are not built, starting at the next turn of the loop. */
  kick(): void {
    if (this.scheduled || this.stopped) return;
    const current = this.config();
    if (!current || !this.source.isSynced()) return;
    if (this.source.current() === this.warmedState && current === this.warmedConfig) return;
    this.scheduled = true;
    setImmediate(() => this.slice());
  }

  stop(): void {
    this.stopped = true;
  }

  private slice(): void {
    this.scheduled = false;
    const current = this.config();
    if (this.stopped || !current || !this.source.isSynced()) return;
    const state = this.source.current();
    if (state === this.warmedState && current === this.warmedConfig) return;
    if (this.building?.state !== state || this.building.config !== current) {
      // A newer state (or config) replaces the one being built: its work so far stays cached.
      this.building = { state, config: current, started: this.clock() };
      this.sliceMs = FIRST_SLICE_MS;
      this.slices = 0;
    }
    this.slices++;
    let complete: boolean;
    try {
      const results = runChecks(state, state, current, budgetFrom(this.clock(), this.sliceMs, this.clock));
      complete = !results.some((r) => r.incomplete);
    } catch (error) {
      // decide() reports its own errors per review; this is only a head start.
      this.log.error({ err: error }, "building the verdicts of the cluster state failed");
      complete = true;
    }
    if (!complete) {
      this.sliceMs = Math.min(MAX_SLICE_MS, this.sliceMs * 2);
      this.scheduled = true;
      setImmediate(() => this.slice());
      return;
    }
    const fields = { ms: Math.round(this.clock() - this.building.started), slices: this.slices };
    if (this.warmedState === undefined) this.log.info(fields, "verdicts of the cluster state built");
    else this.log.debug(fields, "verdicts of the changed cluster state built");
    this.warmedState = state;
    this.warmedConfig = current;
    this.building = undefined;
  }
}
