/**
 * Exponential backoff with jitter for list/watch retries. Bounded so that a cluster that comes back is
 * noticed within `maxMs`; jittered so that many hostguard replicas (and their seven informers each)
 * do not hit a recovering API server in lockstep — the reason client-go's reflector jitters too.
 */
export interface BackoffOptions {
  /** first delay; default 500 ms */
  readonly initialMs?: number;
  /** cap; default 30 s */
  readonly maxMs?: number;
  /** fraction of the delay taken off at random, 0..1; default 0.5 (a delay d becomes d/2..d) */
  readonly jitter?: number;
}

export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly jitter: number;

  constructor(
    opts: BackoffOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    this.initialMs = Math.max(0, opts.initialMs ?? 500);
    this.maxMs = Math.max(this.initialMs, opts.maxMs ?? 30_000);
    this.jitter = Math.min(1, Math.max(0, opts.jitter ?? 0.5));
  }

  /** failures since the last reset */
  get attempts(): number {
    return this.attempt;
  }

  /** the delay before the next try */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(base * (1 - this.jitter * this.random()));
  }

  reset(): void {
    this.attempt = 0;
  }
}
