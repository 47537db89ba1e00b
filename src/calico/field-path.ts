/**
 * Field paths in error messages: `spec.ingress[1].destination.ports[0]`,
 * `metadata.labels["kubernetes-host"]`. One spelling for normalize, validation and the guard config,
 * so operators learn one form.
 */

/** Keys that read unambiguously after a dot; anything else is quoted in brackets. */
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function child(path: string, key: string): string {
  if (PLAIN_KEY.test(key)) return path === "" ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

export function item(path: string, index: number): string {
  return `${path}[${index}]`;
}
