// LimitRange admission, after Kubernetes' LimitRanger: when a pod is created, each container of it
// gets the namespace's default limits and requests for what it leaves unset, then must lie within
// the min and max of every LimitRange of the namespace (403 naming the container's figure). Runs
// before quota admission, so a quota counts the defaulted figures.
import {
  ForbiddenError,
  parseCpu,
  parseMemory,
  type Container,
  type LimitRange,
  type Pod,
  type ResourceList,
} from '@coxswain/objects';

const RESOURCES = ['cpu', 'memory'] as const;

const amount = (r: 'cpu' | 'memory', q: string) => (r === 'cpu' ? parseCpu(q) : parseMemory(q));

/** Applies a namespace's LimitRanges to one of its pods (in place). Returns whether anything was defaulted. */
export function applyLimitRanges(ranges: readonly LimitRange[], pod: Pod): boolean {
  let changed = false;
  for (const range of ranges) {
    for (const item of range.spec.limits) {
      if (item.type !== 'Container') continue;
      for (const c of pod.spec.containers) {
        changed = defaultContainer(c, item.default, item.defaultRequest) || changed;
        checkBounds(pod, c, item.min, item.max);
      }
    }
  }
  return changed;
}

/** Limits from `defaults`; requests from `defaultRequest`, else the container's limits. */
function defaultContainer(c: Container, defaults: ResourceList | undefined, defaultRequest: ResourceList | undefined): boolean {
  const limits: ResourceList = { ...c.resources?.limits };
  const requests: ResourceList = { ...c.resources?.requests };
  let changed = false;
  for (const r of RESOURCES) {
    if (limits[r] === undefined && defaults?.[r] !== undefined) {
      limits[r] = defaults[r];
      changed = true;
    }
    const request = defaultRequest?.[r] ?? limits[r];
    if (requests[r] === undefined && request !== undefined && (defaultRequest?.[r] !== undefined || defaults?.[r] !== undefined)) {
      requests[r] = request;
      changed = true;
    }
  }
  if (changed) {
    c.resources = {
      ...(Object.keys(limits).length > 0 ? { limits } : {}),
      ...(Object.keys(requests).length > 0 ? { requests } : {}),
    };
  }
  return changed;
}

function checkBounds(pod: Pod, c: Container, min: ResourceList | undefined, max: ResourceList | undefined): void {
  const refuse = (message: string) => {
    throw new ForbiddenError(`pods "${pod.metadata.name}" is forbidden: ${message} (container ${c.name})`);
  };
  for (const r of RESOURCES) {
    const limit = c.resources?.limits?.[r];
    const request = c.resources?.requests?.[r] ?? limit;
    if (min?.[r] !== undefined) {
      if (request === undefined) refuse(`minimum ${r} usage per Container is ${min[r]}, but request is not set`);
      else if (amount(r, request) < amount(r, min[r]!)) refuse(`minimum ${r} usage per Container is ${min[r]}, but request is ${request}`);
    }
    if (max?.[r] !== undefined) {
      if (limit === undefined) refuse(`maximum ${r} usage per Container is ${max[r]}, but limit is not set`);
      else if (amount(r, limit) > amount(r, max[r]!)) refuse(`maximum ${r} usage per Container is ${max[r]}, but limit is ${limit}`);
    }
  }
}
