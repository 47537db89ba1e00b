/**
 * How long a check may run. The webhook must answer before the API server gives up on it (its
 * `?timeout=`), so a decision that cannot finish in time stops and says so instead (ADR 0009). The
 * clock is injected: the core reads no time of its own and stays pure.
 */
export interface Budget {
  /** true once the decision should stop */
  expired(): boolean;
}

export const UNLIMITED: Budget = { expired: () => false };
