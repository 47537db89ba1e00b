import { RESOURCE_KINDS, type ResourceKind } from "../calico/types.js";

/**
 * A kind as kubectl accepts it: `HostEndpoint`, `hostendpoint`, `hostendpoints`, and with the group
 * (`hostendpoints.crd.projectcalico.org`). Calico's CRDs define no short names.
 */
export function parseKind(text: string): ResourceKind | undefined {
  const bare = text.split(".")[0]!.toLowerCase();
  return RESOURCE_KINDS.find((k) => {
    const lower = k.toLowerCase();
    return bare === lower || bare === `${lower}s`;
  });
}
