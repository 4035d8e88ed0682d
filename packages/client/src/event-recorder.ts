// Records Events: what a component did or could not do to an object, and the revision of the change
// that caused it. Recording never blocks or fails the caller (events are advisory); writes go out in
// the background, one at a time per event so counting does not fight itself. What reaches etcd is
// bounded as Kubernetes' event correlator bounds it:
//  - The event's name is a hash of (involved object, reason, message, source), so a repeat of the same
//    event finds the same key and bumps `count` and `lastTimestamp` instead of adding another object.
//  - Repeats are coalesced in memory: while an event waits for its write, further repeats only add to
//    the count that write will carry. A burst of 1,000 identical events is a handful of writes.
//  - Similar events (same object, type and reason; other messages) are combined past 10 distinct
//    messages (event-aggregator.ts).
//  - Writes about one involved object from one source are rate limited (a token bucket, Kubernetes'
//    EventSourceObjectSpamFilter: burst 25, then one per 5 min). A write that must wait keeps
//    collecting repeats meanwhile, so no count is lost, and `flush()` writes what waits at once.
//  - Events expire through an etcd lease (CreateOptions.ttlSeconds), default 24 h.
//  - New events go to etcd many to a transaction: every recorder on one store shares a GroupCommit
//    over store.createMany (per TTL). At density each pod brings four events (SuccessfulCreate,
//    Scheduled, Created, Started); one txn apiece made them most of etcd's writes.
import { createHash } from 'crypto';
import { realClock, type Clock, AlreadyExistsError, NotFoundError } from '@coxswain/objects';
import { GroupCommit, sharedGroupCommit } from './group-commit';
import { EventAggregator, COMBINED_PREFIX } from './event-aggregator';
import { TokenBucketRateLimiter } from './rate-limiter';
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
  /** Writes about one involved object: this many at once (default 25) ... */
  burstPerObject?: number;
  /** ... then this many per second (default 1/300, one per 5 min). */
  qpsPerObject?: number;
  /** Distinct events waiting for their write, at most (default 10,000); past it new ones are dropped. */
  maxQueued?: number;
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

/** One event waiting for its write: the occurrences since the last write. */
interface Queued {
  namespace: string;
  name: string;
  ref: ObjectReference;
  type: EventType;
  reason: string;
  message: string;
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
}

/** Involved objects whose write budget is remembered (least recently used dropped first). */
const MAX_BUCKETS = 4096;

export class EventRecorder {
  private readonly store: ObjectStore;
  private readonly source: { component: string; host?: string };
  private readonly ttlSeconds: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly aggregator: EventAggregator;
  private readonly burstPerObject: number;
  private readonly qpsPerObject: number;
  private readonly maxQueued: number;
  /** Per event name, the occurrences not yet written. */
  private readonly queued = new Map<string, Queued>();
  /** Per event name, its writer: one at a time, taking what `queued` holds each round. */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Per involved object, the write budget (Kubernetes' spam filter). */
  private readonly buckets = new Map<string, TokenBucketRateLimiter>();
  /** Names this recorder has written, so a repeat goes straight to the count bump (bounded). */
  private readonly known = new Set<string>();
  /** Aborted by flush(): writes waiting for the rate limit go at once. */
  private hurry = new AbortController();
  /** Occurrences given up because too many distinct events were waiting. */
  dropped = 0;

  constructor(opts: EventRecorderOptions) {
    this.store = opts.store;
    this.source = opts.host ? { component: opts.component, host: opts.host } : { component: opts.component };
    this.ttlSeconds = opts.ttlSeconds ?? 24 * 3600;
    this.clock = opts.clock ?? realClock;
    this.log = opts.logger ?? createLogger('event-recorder', { source: opts.component });
    this.aggregator = new EventAggregator({ clock: this.clock });
    this.burstPerObject = opts.burstPerObject ?? 25;
    this.qpsPerObject = opts.qpsPerObject ?? 1 / 300;
    this.maxQueued = opts.maxQueued ?? 10_000;
  }

  normal(involved: Involved, reason: string, message: string): void {
    this.record(involved, 'Normal', reason, message);
  }

  warning(involved: Involved, reason: string, message: string): void {
    this.record(involved, 'Warning', reason, message);
  }

  /** Queues the event; never throws. `flush()` waits for the writes. */
  record(involved: Involved, type: EventType, reason: string, original: string): void {
    const ref = referenceTo(involved);
    const object = objectKey(ref);
    const { message, combined } = this.aggregator.aggregate([object, type, reason].join('\x00'), original);
    // Every combined event of a group shares one name: the message's hash is left out.
    const name = eventName(ref, reason, combined ? COMBINED_PREFIX : message, this.source.component);
    const now = new Date(this.clock.now()).toISOString();
    const waiting = this.queued.get(name);
    if (waiting) {
      waiting.count++;
      waiting.lastTimestamp = now;
      // The latest cause is the interesting one: keep the newest involved revision and message.
      waiting.ref = ref;
      waiting.message = message;
      return;
    }
    if (this.queued.size >= this.maxQueued) {
      if (this.dropped++ % 1000 === 0) this.log.warn({ reason, involved: ref, dropped: this.dropped }, 'too many events waiting to be written: dropping');
      return;
    }
    this.queued.set(name, { namespace: ref.namespace ?? 'default', name, ref, type, reason, message, count: 1, firstTimestamp: now, lastTimestamp: now });
    if (this.inFlight.has(name)) return; // its writer takes it after the write under way
    this.inFlight.set(name, this.drain(name, object));
  }

  /** Resolves once every event recorded so far has been written (or given up on), rate limit or not. */
  async flush(): Promise<void> {
    this.hurry.abort();
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight.values()]);
    this.hurry = new AbortController();
  }

  private async drain(name: string, object: string): Promise<void> {
    try {
      while (this.queued.has(name)) {
        const wait = this.bucket(object).when(object);
        if (wait > 0) await this.clock.sleep(wait, this.hurry.signal);
        // Taken only now: the occurrences that arrived during the wait go in this write.
        const q = this.queued.get(name)!;
        this.queued.delete(name);
        try {
          await this.write(q);
        } catch (err) {
          this.log.warn({ err, reason: q.reason, involved: q.ref }, 'could not record event');
        }
      }
    } finally {
      // In the same turn as the last look at `queued`: a later record() starts a new writer.
      this.inFlight.delete(name);
    }
  }

  private bucket(object: string): TokenBucketRateLimiter {
    let b = this.buckets.get(object);
    if (b) this.buckets.delete(object);
    else b = new TokenBucketRateLimiter({ qps: this.qpsPerObject, burst: this.burstPerObject, clock: this.clock });
    this.buckets.set(object, b);
    if (this.buckets.size > MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value!);
    return b;
  }

  private async write(q: Queued): Promise<void> {
    const { namespace, name, ref, type, reason, message } = q;
    const bump = () =>
      this.store.guaranteedUpdate<Event>('events', namespace, name, (cur) => ({
        ...cur,
        involvedObject: ref,
        message,
        count: (cur.count ?? 1) + q.count,
        lastTimestamp: q.lastTimestamp,
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
      count: q.count,
      firstTimestamp: q.firstTimestamp,
      lastTimestamp: q.lastTimestamp,
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

/** The involved object, as the spam filter and the aggregator key it. */
function objectKey(ref: ObjectReference): string {
  return [ref.kind, ref.namespace ?? '', ref.name, ref.uid ?? ''].join('\x00');
}

/** Event creates through one store, per TTL: shared by every recorder on that store. */
function eventWriter(store: ObjectStore, ttlSeconds: number): GroupCommit<Event, Event> {
  // An event is 2 txn ops (compare + put): 64 stay within etcd's 128 per txn.
  return sharedGroupCommit(store, `events ttl=${ttlSeconds}`, () => new GroupCommit<Event, Event>({ commit: (evs) => store.createMany(evs, { ttlSeconds }), maxBatch: 64, maxInFlight: 2 }));
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
