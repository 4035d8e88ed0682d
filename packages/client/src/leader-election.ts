// Leader election on etcd (the recipe of etcd's client/v3/concurrency):
//  - a session is a lease kept alive in the background; if keepalives stop succeeding for about a
//    TTL, or etcd says the lease is gone, the session is lost;
//  - each candidate puts `<prefix>/<lease id in hex>` attached to its lease; the key with the lowest
//    create revision leads; every other candidate watches only the key created just before its own
//    (no thundering herd), and re-checks when that key is deleted;
//  - losing the session means losing leadership: onLost callbacks fire once and the caller exits
//    (its supervisor restarts it, and it campaigns again with a fresh session).
// We do not use etcd3's own Election: its campaign reports a lost lease only through an 'error'
// event that fires after 2 x TTL without keepalives, long after another candidate may lead. Nor its
// shared watcher: it reconnects on its own timers even after the client is closed; each wait here
// is one plain gRPC watch stream that ends on the first delete or error (and the caller re-checks).
import os from 'os';
import type { Etcd3, Lease } from 'etcd3';
import { createLogger, Logger } from '@coxswain/process';
import { prefixRangeEnd, UnavailableError } from '@coxswain/objects';

export interface LeaderElectorOptions {
  client: Etcd3;
  /** The election's key prefix, e.g. `/coxswain/leader/scheduler` (no trailing slash). */
  prefix: string;
  /** What the candidate key holds, so others can see who leads. Default `<hostname>-<pid>`. */
  identity?: string;
  /** Lease TTL in seconds. Default 15. A dead leader is replaced within this. */
  ttlSeconds?: number;
  logger?: Logger;
}

/** Thrown by campaign() when the candidate resigned or lost its session before it could lead. */
export class CampaignAbortedError extends Error {}

type LostCallback = (reason: Error) => void;

export class LeaderElector {
  private readonly client: Etcd3;
  private readonly prefix: string;
  readonly identity: string;
  private readonly ttlSeconds: number;
  private readonly log: Logger;

  private lease?: Lease;
  private leaseIdHex?: string;
  private myKey?: string;
  private leading = false;
  private ended = false; // resigned or lost: this elector is spent
  private lostReason?: Error;
  private readonly lostCallbacks = new Set<LostCallback>();
  private lastKeepAliveOk = 0;
  private watchdog?: NodeJS.Timeout;
  private readonly streams = new Set<KeyDeleteWatch>();
  private abortCampaign?: (err: Error) => void;
  /** Wakes waits that must end when the elector ends. */
  private readonly onEndHooks = new Set<() => void>();

  constructor(opts: LeaderElectorOptions) {
    this.client = opts.client;
    this.prefix = opts.prefix.replace(/\/+$/, '');
    this.identity = opts.identity ?? `${os.hostname()}-${process.pid}`;
    this.ttlSeconds = opts.ttlSeconds ?? 15;
    if (this.ttlSeconds < 2) throw new RangeError('ttlSeconds must be at least 2');
    this.log = opts.logger ?? createLogger('leader-election', { election: this.prefix, identity: this.identity });
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** This candidate's key (set once campaign() has started). */
  get key(): string | undefined {
    return this.myKey;
  }

  /** Called once, when leadership (or the session, while campaigning) is lost. Not called on resign(). */
  onLost(cb: LostCallback): () => void {
    if (this.lostReason) {
      cb(this.lostReason);
      return () => undefined;
    }
    this.lostCallbacks.add(cb);
    return () => this.lostCallbacks.delete(cb);
  }

  /**
   * Joins the election and resolves when this candidate leads. Rejects with CampaignAbortedError if
   * it resigns or its session is lost first, or with UnavailableError if etcd cannot be reached.
   * An elector campaigns once; after losing, create a new one (normally: the process exits).
   */
  async campaign(): Promise<void> {
    if (this.ended) throw new CampaignAbortedError('this elector has already resigned or lost');
    if (this.lease) throw new Error('campaign() already called');
    const aborted = new Promise<never>((_, reject) => (this.abortCampaign = reject));
    aborted.catch(() => undefined); // observed through the race below
    try {
      await Promise.race([this.doCampaign(), aborted]);
    } catch (err) {
      if (!this.ended) await this.resign().catch(() => undefined);
      if (err instanceof CampaignAbortedError || err instanceof UnavailableError) throw err;
      throw new UnavailableError(`leader election ${this.prefix}: ${(err as Error).message}`, err);
    } finally {
      this.abortCampaign = undefined;
    }
    if (this.ended) throw new CampaignAbortedError(this.lostReason?.message ?? 'resigned');
    this.leading = true;
    this.log.info({ key: this.myKey }, 'became leader');
  }

  /** Gives up leadership (or candidacy): deletes the key and revokes the lease, so another leads at once. */
  async resign(): Promise<void> {
    if (this.ended && !this.lease) return;
    const wasLeading = this.leading;
    this.end();
    this.abortCampaign?.(new CampaignAbortedError('resigned'));
    const lease = this.lease;
    this.lease = undefined;
    if (lease) {
      // Revoking deletes our key too; a failure here (etcd down) still ends the lease by TTL.
      await lease.revoke().catch((err) => this.log.warn({ err }, 'revoke on resign failed; the lease will expire'));
    }
    if (wasLeading) this.log.info('resigned leadership');
  }

  /** The identity of the current leader of an election, or undefined if nobody leads. */
  static async currentLeader(client: Etcd3, prefix: string): Promise<string | undefined> {
    const p = Buffer.from(prefix.replace(/\/+$/, '') + '/');
    const res = await client.kv.range({ key: p, range_end: prefixRangeEnd(p), sort_order: 'Ascend', sort_target: 'Create', limit: 1 });
    return res.kvs[0]?.value.toString();
  }

  // ---- internals -----------------------------------------------------------------------------------

  private async doCampaign(): Promise<void> {
    const lease = this.client.lease(this.ttlSeconds, { autoKeepAlive: true });
    this.lease = lease;
    lease.on('lost', (err: Error) => this.lose(new Error(`lease lost: ${err.message}`)));
    lease.on('keepaliveSucceeded', () => (this.lastKeepAliveOk = Date.now()));
    const id = await lease.grant();
    this.lastKeepAliveOk = Date.now();
    this.startWatchdog();
    this.leaseIdHex = BigInt(id).toString(16);
    const key = `${this.prefix}/${this.leaseIdHex}`;
    this.myKey = key;

    const txn = await this.client
      .if(key, 'Create', '==', 0)
      .then(this.client.put(key).value(this.identity).lease(id))
      .else(this.client.get(key))
      .commit();
    const myRev = txn.succeeded
      ? BigInt(txn.header.revision)
      : BigInt(txn.responses[0].response_range.kvs[0].create_revision);
    this.log.debug({ key, createRevision: myRev.toString() }, 'candidate key written');
    this.watchOwnKey(key, myRev + 1n);
    await this.waitForPredecessors(myRev);
  }

  /** Waits until no candidate key created before ours exists. */
  private async waitForPredecessors(myRev: bigint): Promise<void> {
    const p = Buffer.from(this.prefix + '/');
    while (!this.ended) {
      const res = await this.client.kv.range({
        key: p,
        range_end: prefixRangeEnd(p),
        max_create_revision: (myRev - 1n).toString(),
        sort_order: 'Descend',
        sort_target: 'Create',
        limit: 1,
      });
      const pred = res.kvs[0];
      if (!pred) return;
      this.log.debug({ predecessor: pred.key.toString() }, 'waiting for predecessor');
      await this.waitForDelete(pred.key.toString(), BigInt(res.header.revision) + 1n);
    }
  }

  /** Waits until `key` is deleted (or the watch fails, or the elector ends): the caller re-checks. */
  private async waitForDelete(key: string, fromRev: bigint): Promise<void> {
    const w = new KeyDeleteWatch(this.client, key, fromRev);
    this.streams.add(w);
    try {
      // After a failed watch, pause before re-reading so a flapping etcd is not hammered.
      if ((await w.result) === 'error') await new Promise((r) => setTimeout(r, 200).unref());
    } finally {
      this.streams.delete(w);
      w.stop();
    }
  }

  /**
   * Our own key deleted (by revocation, expiry or a person) means we no longer hold our place. If
   * the watch fails (etcd unreachable), look at the key again after a pause and watch anew; an etcd
   * that stays away is caught by the keepalive watchdog.
   */
  private watchOwnKey(key: string, fromRev: bigint): void {
    void (async () => {
      let rev = fromRev;
      while (!this.ended) {
        const w = new KeyDeleteWatch(this.client, key, rev);
        this.streams.add(w);
        const outcome = await w.result;
        this.streams.delete(w);
        w.stop();
        if (this.ended) return;
        if (outcome === 'deleted') return this.lose(new Error(`candidate key ${key} was deleted`));
        await new Promise((r) => setTimeout(r, 500).unref());
        if (this.ended) return;
        try {
          const res = await this.client.kv.range({ key: Buffer.from(key) });
          if (this.ended) return;
          if (res.kvs.length === 0) return this.lose(new Error(`candidate key ${key} is gone`));
          rev = BigInt(res.header.revision) + 1n;
        } catch {
          // etcd still unreachable: try again (the watchdog decides when that means loss)
        }
      }
    })().catch((err) => this.lose(new Error(`watching own candidate key failed: ${(err as Error).message}`)));
  }

  /**
   * The lease library reports loss only after 2 x TTL without keepalives. A lease expires in etcd
   * one TTL after the last keepalive that reached it, so declare the session lost a little before
   * that: after TTL minus a margin without a successful keepalive.
   */
  private startWatchdog(): void {
    const deadlineMs = this.ttlSeconds * 1000 - Math.min(2000, (this.ttlSeconds * 1000) / 5);
    this.watchdog = setInterval(() => {
      if (Date.now() - this.lastKeepAliveOk > deadlineMs) {
        this.lose(new Error(`no successful lease keepalive for ${Date.now() - this.lastKeepAliveOk} ms`));
      }
    }, 250);
    this.watchdog.unref();
  }

  private lose(reason: Error): void {
    if (this.ended) return;
    const wasLeading = this.leading;
    this.lostReason = reason;
    this.end();
    this.log.warn({ err: reason.message, wasLeading }, wasLeading ? 'lost leadership' : 'lost session while campaigning');
    this.abortCampaign?.(new CampaignAbortedError(reason.message));
    // Best effort: give our place up at once if etcd still answers.
    const lease = this.lease;
    this.lease = undefined;
    lease?.revoke().catch(() => undefined);
    for (const cb of this.lostCallbacks) {
      try {
        cb(reason);
      } catch (err) {
        this.log.error({ err }, 'onLost callback threw');
      }
    }
    this.lostCallbacks.clear();
  }

  private end(): void {
    this.ended = true;
    this.leading = false;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    for (const w of this.streams) w.stop();
    this.streams.clear();
    for (const hook of this.onEndHooks) hook();
    this.onEndHooks.clear();
  }
}

/** One gRPC watch stream on one key that settles on its first delete event, on any error, or on stop(). */
class KeyDeleteWatch {
  readonly result: Promise<'deleted' | 'error' | 'stopped'>;
  private settle!: (outcome: 'deleted' | 'error' | 'stopped') => void;
  private stream?: Awaited<ReturnType<Etcd3['watchClient']['watch']>>;
  private stopped = false;

  constructor(client: Etcd3, key: string, fromRev: bigint) {
    this.result = new Promise((resolve) => (this.settle = resolve));
    client.watchClient.watch().then(
      (stream) => {
        this.stream = stream;
        stream.on('error', () => this.finish('error'));
        stream.on('end', () => this.finish('error'));
        if (this.stopped) return this.close();
        stream.on('data', (res) => {
          if (res.canceled || (res.compact_revision && res.compact_revision !== '0')) return this.finish('error');
          if (res.events.some((e) => String(e.type).toUpperCase() === 'DELETE')) this.finish('deleted');
        });
        stream.write({ create_request: { key: Buffer.from(key), start_revision: fromRev.toString(), filters: ['Noput'] } });
      },
      () => this.finish('error'),
    );
  }

  stop(): void {
    this.stopped = true;
    this.finish('stopped');
  }

  private finish(outcome: 'deleted' | 'error' | 'stopped'): void {
    this.settle(outcome);
    this.close();
  }

  private close(): void {
    const s = this.stream;
    this.stream = undefined;
    if (!s) return;
    try {
      // Half-close first: etcd3 treats an error on a still-writable stream as a failed host.
      s.end();
      s.cancel();
    } catch {
      // already gone
    }
  }
}
