// Events: 2014's `source` string and `host` <-> `source{component, host}`; `timestamp` <-> the
// last occurrence. A v1beta1 event without times is stamped with `now` (injected, so this stays pure).
import type { Event } from '@coxswain/objects';
import { metaFromInternal, metaToInternal, INTERNAL_VERSION } from './meta';
import { compact, copy } from './object-utils';
import type { WireEvent } from './wire-types';

export function eventToInternal(b: WireEvent, now: string): Event {
  const o = b.involvedObject;
  const first = b.firstTimestamp ?? b.timestamp ?? b.lastTimestamp ?? now;
  const last = b.lastTimestamp ?? b.timestamp ?? first;
  return compact({
    apiVersion: INTERNAL_VERSION,
    kind: 'Event' as const,
    metadata: metaToInternal(b),
    involvedObject: compact({
      kind: o.kind,
      name: o.name,
      namespace: o.namespace,
      uid: o.uid,
      resourceVersion: o.resourceVersion === undefined ? undefined : String(o.resourceVersion),
      fieldPath: o.fieldPath,
    }),
    reason: b.reason,
    message: b.message ?? '',
    type: b.type ?? 'Normal',
    source: b.source !== undefined || b.host !== undefined ? compact({ component: b.source ?? '', host: b.host }) : undefined,
    count: b.count ?? 1,
    firstTimestamp: first,
    lastTimestamp: last,
  });
}

export function eventFromInternal(ev: Event): WireEvent {
  return compact({
    ...metaFromInternal('Event', ev.metadata),
    involvedObject: copy(ev.involvedObject),
    reason: ev.reason,
    message: ev.message,
    type: ev.type,
    source: ev.source?.component,
    host: ev.source?.host,
    timestamp: ev.lastTimestamp,
    firstTimestamp: ev.firstTimestamp,
    lastTimestamp: ev.lastTimestamp,
    count: ev.count,
    labels: copy(ev.metadata.labels),
  });
}
