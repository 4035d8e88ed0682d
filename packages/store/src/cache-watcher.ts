// One watch served by the watch cache: the window's changes after its start revision, then each new
// change as the cache applies it, filtered by prefix and selector, in a queue of bounded length.
// A consumer that lets the queue fill is cut off (UnavailableError naming the reason): it must resume
// from its last revision, and the server never holds more than `queueLimit` undelivered events for it.
import { UnavailableError } from '@coxswain/objects';
import type { KubeObject, ObjectFilter, Watch, WatchEvent } from '@coxswain/objects';
import type { CachedChange } from './cache-state';
import { EventQueue, watchIterator } from './event-queue';

export interface CacheWatcherOptions {
  prefix: string;
  /** Changes at or below this revision are not delivered. */
  after: bigint;
  filter?: ObjectFilter;
  onProgress?: (revision: string) => void;
  queueLimit: number;
  onEnd: (w: CacheWatcher) => void;
}

export class CacheWatcher<T extends KubeObject = KubeObject> implements Watch<T> {
  private readonly queue = new EventQueue<WatchEvent<T>>();
  private error?: Error;
  private done = false;
  private wake?: () => void;
  /** The newest revision whose changes have all been taken (or filtered out). */
  private delivered: bigint;

  constructor(private readonly opts: CacheWatcherOptions) {
    this.delivered = opts.after;
  }

  /** Offers a change; returns false once the watcher has ended (the cache then forgets it). */
  offer(change: CachedChange): boolean {
    if (this.done || this.error) return false;
    if (change.revision <= this.opts.after || !change.key.startsWith(this.opts.prefix)) return true;
    const ev = toEvent<T>(change, this.opts.filter);
    if (ev) {
      if (this.queue.length >= this.opts.queueLimit) {
        this.fail(new UnavailableError(`watcher too slow: ${this.opts.queueLimit} events undelivered; resume from your last resourceVersion`));
        return false;
      }
      this.queue.push(ev);
      this.notify();
    } else if (this.queue.length === 0 && change.revision > this.delivered) {
      this.delivered = change.revision;
    }
    return true;
  }

  /** The cache is at `revision`: a watcher with nothing pending has delivered everything up to it. */
  progress(revision: bigint): void {
    if (this.done || this.error || this.queue.length !== 0) return;
    if (revision > this.delivered) this.delivered = revision;
    this.opts.onProgress?.(this.delivered.toString());
  }

  fail(err: Error): void {
    if (this.done || this.error) return;
    this.error = err;
    this.opts.onEnd(this);
    this.notify();
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    this.queue.clear();
    this.opts.onEnd(this);
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private async next(): Promise<IteratorResult<WatchEvent<T>>> {
    for (;;) {
      if (this.done) return { done: true, value: undefined };
      const value = this.queue.shift();
      if (value) {
        // A revision counts as delivered once no event of it is left in the queue.
        const rev = BigInt(value.revision);
        const nextEv = this.queue.peek();
        if (!nextEv || BigInt(nextEv.revision) > rev) this.delivered = rev;
        return { done: false, value };
      }
      if (this.error) {
        this.done = true;
        throw this.error;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent<T>> {
    return watchIterator(() => this.next(), () => this.close());
  }
}

/**
 * A change as one watcher sees it. With a filter, the old and new objects are both tested (as etcd
 * watches here and Kubernetes' watch cache do): starts matching → ADDED, stops → DELETED (its last
 * matching state), matches both → MODIFIED.
 */
function toEvent<T extends KubeObject>(change: CachedChange, filter: ObjectFilter | undefined): WatchEvent<T> | undefined {
  const revision = change.revision.toString();
  const { prev, next } = change;
  const prevMatches = prev !== undefined && (!filter || filter.matches(prev));
  const nextMatches = next !== undefined && (!filter || filter.matches(next));
  if (nextMatches) return { type: prevMatches ? 'MODIFIED' : 'ADDED', object: next as T, revision };
  if (!prevMatches) return undefined;
  // Deleted, or no longer matching: the last matching state, at the revision it went away.
  return { type: 'DELETED', object: deletedAt(prev, revision) as T, revision };
}

function deletedAt(obj: KubeObject, revision: string): KubeObject {
  return Object.freeze({ ...obj, metadata: Object.freeze({ ...obj.metadata, resourceVersion: revision }) });
}
