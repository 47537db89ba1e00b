import { GUARDED_KINDS } from "../decision/decide.js";
import { changeKind, type Change } from "../engine/change.js";
import type { ClusterState } from "../engine/state.js";

/** Objects in the cluster that the guard cannot hold (over its limits), and what to tell people. */
export interface StateProblem {
  /** one line for /readyz and the denials: what is wrong and how to recover */
  readonly reason: string;
  /** the objects at fault, by kind and metadata.name: deleting them is admitted */
  readonly objects: readonly { readonly kind: string; readonly name: string }[];
}

/** Admitted changes the informers have not shown yet, and the state without them. */
export interface Unconfirmed {
  readonly state: ClusterState;
  /** `CREATE GlobalNetworkPolicy allow-all`, oldest first */
  readonly changes: readonly string[];
}

/**
 * Where the webhook gets the cluster state from: informers in a cluster, YAML files otherwise.
 * The webhook decides against `current()` and never calls the API server on a review.
 */
export interface StateSource {
  /** true once every kind has been listed (a file source is synced from the start) */
  isSynced(): boolean;
  /** the latest synced state, with recently admitted changes overlaid */
  current(): ClusterState;
  /** seconds since the state was last known to match the API server (0 when it does, or for files) */
  ageSeconds(): number;
  /**
   * A change the webhook has just admitted (never a dry run): overlay it at once, until the informer
   * shows it or a timeout passes, so `kubectl apply -f` of several objects in a row is judged against
   * what the earlier ones did.
   */
  recordAdmitted(change: Change): void;
  /**
   * The admitted changes not confirmed by the informers yet, with the state without them; undefined
   * when there are none. A decision may rely on such a change only once it is confirmed.
   */
  unconfirmed?(): Unconfirmed | undefined;
  /** Why the synced state cannot be judged (an object over the limits), if it cannot. */
  problem?(): StateProblem | undefined;
  /** objects periodic relists found different from what the watches had shown, by kind (so far) */
  drift?(): ReadonlyMap<string, number>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A fixed state (YAML files, tests): synced from the start; admitted changes of the guarded kinds are
 * overlaid for good (there is no informer to confirm them, so they count as confirmed).
 */
export class StaticStateSource implements StateSource {
  private state: ClusterState;

  constructor(state: ClusterState) {
    this.state = state;
  }

  isSynced(): boolean {
    return true;
  }

  current(): ClusterState {
    return this.state;
  }

  ageSeconds(): number {
    return 0;
  }

  recordAdmitted(change: Change): void {
    if (GUARDED_KINDS.has(changeKind(change))) this.state = this.state.apply(change);
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}
}
