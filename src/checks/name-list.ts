/**
 * Lists of names (nodes, sources) that findings share by reference. A finding about a class pair
 * names every member of both classes; copying or sorting those lists per finding made the cost of a
 * denial grow with sources × destinations (issue: the runbook's lock-out took 18 s at 1k nodes).
 * Lists are sorted once where they are made, and combined here by merging, never by re-sorting.
 */

/** Node names in the order an operator expects: node-2 before node-10. */
const collator = new Intl.Collator("en", { numeric: true });

export const compareNames = (a: string, b: string): number => collator.compare(a, b);

/** How many names a message or a JSON list shows before "and N more". */
export const MAX_LISTED = 50;

/** Sorted, duplicate-free union of sorted lists (a k-way merge; each list is already sorted). */
export function mergeSorted(lists: readonly (readonly string[])[]): readonly string[] {
  const distinct = [...new Set(lists)].filter((l) => l.length > 0);
  if (distinct.length === 0) return [];
  if (distinct.length === 1) return distinct[0]!;
  const out: string[] = [];
  const at = distinct.map(() => 0);
  for (;;) {
    let best = -1;
    for (let i = 0; i < distinct.length; i++) {
      const list = distinct[i]!;
      if (at[i]! >= list.length) continue;
      if (best < 0 || compareNames(list[at[i]!]!, distinct[best]![at[best]!]!) < 0) best = i;
    }
    if (best < 0) return out;
    const name = distinct[best]![at[best]!]!;
    at[best]!++;
    if (out[out.length - 1] !== name) out.push(name);
  }
}

/** `a, b, c and 12 more` */
export function listed(names: readonly string[], max: number): string {
  return names.length > max
    ? `${names.slice(0, max).join(", ")} and ${names.length - max} more`
    : names.join(", ");
}
