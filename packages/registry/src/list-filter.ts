// A list's or watch's label and field selectors, compiled once into the storage's ObjectFilter.
import { parseFieldSelector, parseSelector, type KubeObject, type ListOptions } from '@coxswain/objects';
import type { ObjectFilter } from '@coxswain/objects';

/** undefined when nothing is selected (every object matches). */
export function listFilter(opts: Pick<ListOptions, 'labelSelector' | 'fieldSelector'>): ObjectFilter | undefined {
  const labels = parseSelector(opts.labelSelector);
  const fields = parseFieldSelector(opts.fieldSelector);
  if (labels.empty && fields.empty) return undefined;
  return {
    matches: (obj: KubeObject) => labels.matches(obj.metadata?.labels) && fields.matches(obj),
    mayMatchJson: labels.empty ? undefined : (json) => labels.mayMatchJson(json),
  };
}
