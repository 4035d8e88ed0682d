// Records Events: what a component did or could not do to an object, and the revision of the change
// that caused it. Recording never blocks or fails the caller (events are advisory); writes go out in
// the background, one at a time per event so counting does not fight itself.
//  - The event's name is a hash of (involved object, reason, message, source), so a repeat of the same
//    event finds the same key and bumps `count` and `lastTimestamp` instead of adding another object.
//  - Events expire through an etcd lease (CreateOptions.ttlSeconds), default 24 h.
//  - New events go to etcd many to a transaction: every recorder on one store shares a GroupCommit
//    over store.createMany (per TTL). At density each pod brings four events (SuccessfulCreate,
//    Scheduled, Created, Started); one txn apiece made them most of etcd's writes.
import { createHash } from 'crypto';
import { realClock, type Clock, AlreadyExistsError, NotFoundError } from '@coxswain/objects';
import { GroupCommit } from './group-commit';
import { createLogger, type Logger } from '@coxswain/process';
import type { ObjectStore, Event, KubeObject, ObjectReference } from '@coxswain/objects';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  store: ObjectStore;
  /** Who reports: `scheduler`, `replication-manager`, `kubelet`, ... */
  component: string;
  /** The minion or host the component runs on, if any. */
  host?: string;
  /** How long events live. Default 24 h. */
  ttlSeconds?: number;
  clock?: Clock;
  logger?: Logger;
}

/** An object (its reference is taken from its metadata) or an explicit reference. */
export type Involved = KubeObject | ObjectReference;

export function referenceTo(obj: Involved): ObjectReference {
  if ('metadata' in obj) {
    const ref: ObjectReference = { kind: obj.kind, name: obj.metadata.name };
    if (obj.metadata.namespace) ref.namespace = obj.metadata.namespace;
    if (obj.metadata.uid) ref.uid = obj.metadata.uid;
    if (obj.metadata.resourceVersion) ref.resourceVersion = obj.metadata.resourceVersion;
    return ref;
  }
  return { ...obj };
}

export class EventRecorder {
  private readonly store: ObjectStore;
  private readonly source: { component: string; host?: string };
  private readonly ttlSeconds: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  /** Per event name, the tail of its chain of writes. */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Names this recorder has written, so a repeat goes straight to the count bump (bounded). */
  private readonly known = new Set<string>();

  constructor(opts: EventRecorderOptions) {
    this.store = opts.store;
    this.source = opts.host ? { component: opts.component, host: opts.host } : { component: opts.component };
    this.ttlSeconds = opts.ttlSeconds ?? 24 * 3600;
    this.clock = opts.clock ?? realClock;
    this.log = opts.logger ?? createLogger('event-recorder', { source: opts.component });
  }

  normal(involved: Involved, reason: string, message: string): void {
    this.record(involved, 'Normal', reason, message);
  }

  warning(involved: Involved, reason: string, message: string): void {
    this.record(involved, 'Warning', reason, message);
  }

  /** Queues the event; never throws. `flush()` waits for the writes. */
  record(involved: Involved, type: EventType, reason: string, message: string): void {
    const ref = referenceTo(involved);
    const name = eventName(ref, reason, message, this.source.component);
    const namespace = ref.namespace ?? 'default';
    const prev = this.inFlight.get(name) ?? Promise.resolve();
    const next = prev
      .then(() => this.write(namespace, name, ref, type, reason, message))
      .catch((err) => this.log.warn({ err, reason, involved: ref }, 'could not record event'))
      .finally(() => {
        if (this.inFlight.get(name) === next) this.inFlight.delete(name);
      });
    this.inFlight.set(name, next);
  }

  /** Resolves once every event recorded so far has been written (or given up on). */
  async flush(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight.values()]);
  }

  private async write(namespace: string, name: string, ref: ObjectReference, type: EventType, reason: string, message: string): Promise<void> {
    const now = new Date(this.clock.now()).toISOString();
    const bump = () =>
      this.store.guaranteedUpdate<Event>('events', namespace, name, (cur) => ({
        ...cur,
        // The latest cause is the interesting one: keep the newest involved revision.
        involvedObject: ref,
        count: (cur.count ?? 1) + 1,
        lastTimestamp: now,
      }));
    const ev: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: ref,
      reason,
      message,
      type,
      source: this.source,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
    };
    const create = async () => {
      await eventWriter(this.store, this.ttlSeconds).submit(ev);
      this.remember(name);
    };
    if (this.known.has(name)) {
      try {
        await bump();
        return;
      } catch (e) {
        // Expired (or deleted) since we last wrote it: create it afresh.
        if (!(e instanceof NotFoundError)) throw e;
        this.known.delete(name);
      }
    }
    try {
      await create();
    } catch (e) {
      if (!(e instanceof AlreadyExistsError)) throw e;
      try {
        await bump();
        this.remember(name);
      } catch (e2) {
        if (!(e2 instanceof NotFoundError)) throw e2;
        await create();
      }
    }
  }

  private remember(name: string): void {
    if (this.known.size >= 10_000) this.known.clear();
    this.known.add(name);
  }
}

/** Event creates through one store, per TTL: shared by every recorder on that store. */
const eventWriters = new WeakMap<ObjectStore, Map<number, GroupCommit<Event, Event>>>();

function eventWriter(store: ObjectStore, ttlSeconds: number): GroupCommit<Event, Event> {
  let byTtl = eventWriters.get(store);
  if (!byTtl) eventWriters.set(store, (byTtl = new Map()));
  let writer = byTtl.get(ttlSeconds);
  if (!writer) {
    // An event is 2 txn ops (compare + put): 64 stay within etcd's 128 per txn.
    writer = new GroupCommit<Event, Event>({ commit: (evs) => store.createMany(evs, { ttlSeconds }), maxBatch: 64, maxInFlight: 2 });
    byTtl.set(ttlSeconds, writer);
  }
  return writer;
}

/** `<object>.<hash>`: the same object, reason, message and source always give the same name. */
export function eventName(ref: ObjectReference, reason: string, message: string, component: string): string {
  const h = createHash('sha256')
    .update([ref.kind, ref.namespace ?? '', ref.name, ref.uid ?? '', reason, message, component].join('\x00'))
    .digest('hex')
    .slice(0, 16);
  // Keep the whole name within the 253-character limit.
  return `${ref.name.slice(0, 200)}.${h}`;
}
