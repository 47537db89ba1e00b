/**
 * Caps for text that leaves the process (HTTP answers, audit lines, metric labels). A request can
 * carry megabytes of anything; what hostguard writes about it stays small, keeps its beginning
 * intact and says how much was left out.
 */

/** `text` up to `max` characters, then "… and N more characters". */
export function capText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… and ${text.length - max} more characters`;
}

/**
 * The first `max` items (each through `each`) and how many were left out. The caller decides how
 * to say "and N more" in its own format.
 */
export function capList<T, U>(
  items: readonly T[],
  max: number,
  each: (item: T) => U,
): { kept: U[]; dropped: number } {
  return { kept: items.slice(0, max).map(each), dropped: Math.max(0, items.length - max) };
}

/** Strings: the first `max` items capped at `chars` each, then one "… and N more" item. */
export function capStrings(items: readonly string[], max: number, chars: number): string[] {
  const { kept, dropped } = capList(items, max, (s) => capText(s, chars));
  return dropped > 0 ? [...kept, `… and ${dropped} more`] : kept;
}

/** A label value from a closed set: anything else (a forged kind, a typo) is `other`. */
export function closedLabel(value: string, known: ReadonlySet<string>): string {
  return known.has(value) ? value : "other";
}
