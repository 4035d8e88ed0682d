// Equality-based selectors (the shape RCs, services and nodeSelector use: a map of key -> value).
// An empty or absent selector selects nothing for RCs and services (never "everything").

export type Selector = Record<string, string>;

/** True when every key of the selector has the same value in the labels. */
export function selectorMatches(selector: Selector | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return false;
  const keys = Object.keys(selector);
  if (keys.length === 0) return false;
  for (const k of keys) if (labels?.[k] !== selector[k]) return false;
  return true;
}

/** nodeSelector semantics: an absent or empty selector matches every minion. */
export function nodeSelectorMatches(selector: Selector | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return true;
  // for..in, not Object.keys: asked for every minion for every pod, and allocates nothing (selectors are plain JSON objects).
  for (const k in selector) if (labels?.[k] !== selector[k]) return false;
  return true;
}
