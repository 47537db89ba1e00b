/**
 * Result unions for the pure core: functions that can fail on user input return one of these
 * instead of throwing, so an adapter (webhook, CLI) can always turn a failure into a clear answer.
 */
export type Result<T, E> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

export function err<E>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error };
}

/** One problem found in an object, located by a field path such as `spec.ingress[1].destination.ports[0]`. */
export interface FieldError {
  readonly path: string;
  readonly reason: string;
}
