// Leader election on the storage (the recipe of etcd's client/v3/concurrency):
//  - a session is a lease this elector keeps alive (a keepalive every TTL/3); if keepalives stop
//    succeeding for about a TTL, or the storage says the lease is gone, the session is lost;
//  - each candidate creates `<prefix>/<lease id in hex>` on its lease; the key created first (the
//    lowest revision: candidate keys are never rewritten) leads; every other candidate waits only
//    for the key created just before its own (no thundering herd), and re-checks when it goes;
//  - losing the session means losing leadership: onLost callbacks fire once; the caller stops its
//    work and campaigns again with a fresh elector (a new session), in the same process. The lost
//    lease is revoked if etcd still answers; if not (etcd away), the next elector revokes it first
//    (`staleLease`), so our old key does not hold the place for a TTL after etcd is back.
// Not etcd3's own Election: its campaign reports a lost lease only after 2 x TTL without
// keepalives, long after another candidate may lead.
import os from 'os';
import { NotFoundError, UnavailableError, type KubeObject, type Watch } from '@coxswain/objects';
import { createLogger, Logger } from '@coxswain/process';
import type { Storage } from '@coxswain/objects';
import { whileUnavailable } from './while-unavailable';

export interface LeaderElectorOptions {
  storage: Storage;
  /** The election's key prefix, e.g. `/coxswain/leader/scheduler` (no trailing slash). */
  prefix: string;
  /** What the candidate key holds, so others can see who leads. Default `<hostname>-<pid>`. */
  identity?: string;
  /** Lease TTL in seconds. Default 15. A dead leader is replaced within this. */
  ttlSeconds?: number;
  logger?: Logger;
  /**
   * The lease of this candidate's previous, lost session whose revoke etcd has not confirmed
   * (`unreleasedLease` of the previous elector). campaign() revokes it before joining.
   */
  staleLease?: string;
}

/** Thrown by campaign() when the candidate resigned or lost its session before it could lead. */
export class CampaignAbortedError extends Error {}

type LostCallback = (reason: Error) => void;

/** What a candidate key holds. */
interface Candidate extends KubeObject {
  identity: string;
}

export class LeaderElector {
  private readonly storage: Storage;
  private readonly prefix: string;
  readonly identity: string;
  private readonly ttlSeconds: number;
  private readonly log: Logger;
  private staleLease?: string;
  private unreleased?: string;

  private lease?: string;
  private myKey?: string;
  private leading = false;
  private ended = false; // resigned or lost: this elector is spent
  private lostReason?: Error;
  private readonly lostCallbacks = new Set<LostCallback>();
  private lastKeepAliveOk = 0;
  private watchdog?: NodeJS.Timeout;
  private keepAliveTimer?: NodeJS.Timeout;
  private readonly watches = new Set<Watch<Candidate>>();
  private abortCampaign?: (err: Error) => void;
  /** Wakes waits that must end when the elector ends. */
  private readonly onEndHooks = new Set<() => void>();

  constructor(opts: LeaderElectorOptions) {
    this.storage = opts.storage;
    this.prefix = opts.prefix.replace(/\/+$/, '');
    this.identity = opts.identity ?? `${os.hostname()}-${process.pid}`;
    this.ttlSeconds = opts.ttlSeconds ?? 15;
    if (this.ttlSeconds < 2) throw new RangeError('ttlSeconds must be at least 2');
    this.log = opts.logger ?? createLogger('leader-election', { election: this.prefix, identity: this.identity });
    this.staleLease = opts.staleLease;
  }

  /**
   * After a loss or a failed campaign: a lease of ours whose revoke etcd has not confirmed (this
   * session's, or the stale one it was given and could not revoke yet), for the next elector.
   */
  get unreleasedLease(): string | undefined {
    return this.unreleased ?? this.staleLease;
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
      await this.storage.leases.revoke(lease).catch((err) => this.log.warn({ err }, 'revoke on resign failed; the lease will expire'));
    }
    if (wasLeading) this.log.info('resigned leadership');
  }

  /** The identity of the current leader of an election, or undefined if nobody leads. */
  static async currentLeader(storage: Storage, prefix: string): Promise<string | undefined> {
    const { items } = await storage.list<Candidate>(prefix.replace(/\/+$/, '') + '/');
    return items.reduce<Candidate | undefined>((first, c) => (!first || revision(c) < revision(first) ? c : first), undefined)?.identity;
  }

  // ---- internals -----------------------------------------------------------------------------------

  private async doCampaign(): Promise<void> {
    if (this.staleLease) {
      // A lease of ours that outlived its session (etcd was away when it was lost): give its place
      // up now; NotFound means it has expired already. Just after etcd is back, a client's
      // connection may still be waiting out its reconnect backoff (calls fail fast as unavailable):
      // ride that out for up to a TTL — beyond it, waiting for the lease to expire costs no more.
      const stale = this.staleLease;
      const revokeStale = async () => {
        if (this.ended) throw new CampaignAbortedError('resigned');
        await this.storage.leases.revoke(stale);
      };
      await whileUnavailable(revokeStale, { timeoutMs: this.ttlSeconds * 1000 }).catch((err) => {
        if (!(err instanceof NotFoundError)) throw err;
      });
      this.staleLease = undefined;
    }
    const id = await this.storage.leases.grant(this.ttlSeconds);
    if (this.ended) {
      // Resigned (or aborted) while the grant was in flight: resign() saw no lease to revoke.
      await this.storage.leases.revoke(id).catch(() => undefined);
      return;
    }
    this.lease = id;
    this.lastKeepAliveOk = Date.now();
    this.startKeepAlive(id);
    const name = BigInt(id).toString(16);
    const key = `${this.prefix}/${name}`;
    this.myKey = key;
    const candidate: Candidate = { apiVersion: 'v1', kind: 'LeaderCandidate', metadata: { name }, identity: this.identity };
    const mine = await this.storage.create(key, candidate, { lease: id });
    const myRev = revision(mine);
    this.log.debug({ key, createRevision: myRev.toString() }, 'candidate key written');
    this.watchOwnKey(name, mine.metadata.resourceVersion!);
    await this.waitForPredecessors(myRev);
  }

  /** Waits until no candidate key created before ours exists. */
  private async waitForPredecessors(myRev: bigint): Promise<void> {
    while (!this.ended) {
      const { items, resourceVersion } = await this.storage.list<Candidate>(this.prefix + '/');
      let pred: Candidate | undefined;
      for (const c of items) if (revision(c) < myRev && (!pred || revision(c) > revision(pred))) pred = c;
      if (!pred) return;
      this.log.debug({ predecessor: `${this.prefix}/${pred.metadata.name}` }, 'waiting for predecessor');
      // After a failed watch, pause before re-reading so a flapping etcd is not hammered.
      if ((await this.waitForDelete(pred.metadata.name, resourceVersion)) === 'error') await new Promise((r) => setTimeout(r, 200).unref());
    }
  }

  /** Waits until the candidate `name` is deleted after `afterRevision` (or the watch fails, or the elector ends). */
  private async waitForDelete(name: string, afterRevision: string): Promise<'deleted' | 'error' | 'stopped'> {
    let w: Watch<Candidate>;
    try {
      w = this.storage.watch<Candidate>(this.prefix + '/', { afterRevision });
    } catch {
      return 'error';
    }
    this.watches.add(w);
    try {
      for await (const ev of w) {
        if (ev.type === 'DELETED' && ev.object.metadata.name === name) return 'deleted';
      }
      return this.ended ? 'stopped' : 'error';
    } catch {
      return 'error';
    } finally {
      this.watches.delete(w);
      w.close();
    }
  }

  /**
   * Our own key deleted (by revocation, expiry or a person) means we no longer hold our place. If
   * the watch fails (etcd unreachable), look at the key again after a pause and watch anew; an etcd
   * that stays away is caught by the keepalive watchdog.
   */
  private watchOwnKey(name: string, fromRevision: string): void {
    void (async () => {
      let after = fromRevision;
      while (!this.ended) {
        const outcome = await this.waitForDelete(name, after);
        if (this.ended) return;
        if (outcome === 'deleted') return this.lose(new Error(`candidate key ${this.myKey} was deleted`));
        await new Promise((r) => setTimeout(r, 500).unref());
        if (this.ended) return;
        try {
          await this.storage.get(this.myKey!);
          after = await this.storage.currentRevision();
        } catch (err) {
          if (this.ended) return;
          if (err instanceof NotFoundError) return this.lose(new Error(`candidate key ${this.myKey} is gone`));
          // etcd still unreachable: try again (the watchdog decides when that means loss)
        }
      }
    })().catch((err) => this.lose(new Error(`watching own candidate key failed: ${(err as Error).message}`)));
  }

  /** Renews the lease every TTL/3; the storage saying it is gone ends the session at once. */
  private startKeepAlive(id: string): void {
    let inFlight = false;
    this.keepAliveTimer = setInterval(() => {
      if (inFlight || this.ended) return;
      inFlight = true;
      this.storage.leases.keepAlive(id).then(
        () => (this.lastKeepAliveOk = Date.now()),
        (err) => {
          if (err instanceof NotFoundError) this.lose(new Error('lease lost: it has expired or been revoked'));
          // Anything else (etcd unreachable): the watchdog decides when that means loss.
        },
      ).finally(() => (inFlight = false));
    }, Math.max(500, (this.ttlSeconds * 1000) / 3));
    this.keepAliveTimer.unref();
    this.startWatchdog();
  }

  /**
   * A lease expires in etcd one TTL after the last keepalive that reached it, so declare the session
   * lost a little before that: after TTL minus a margin without a successful keepalive.
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
    if (lease) {
      this.unreleased = lease;
      this.storage.leases.revoke(lease).then(
        () => (this.unreleased = undefined),
        (err) => {
          if (err instanceof NotFoundError) this.unreleased = undefined;
        },
      );
    }
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
    if (this.keepAliveTimer) clearInterval(this.keepAliveTimer);
    this.keepAliveTimer = undefined;
    for (const w of this.watches) w.close();
    this.watches.clear();
    for (const hook of this.onEndHooks) hook();
    this.onEndHooks.clear();
  }
}

/** A candidate's create revision (its resourceVersion: candidate keys are never rewritten). */
function revision(c: KubeObject): bigint {
  return BigInt(c.metadata.resourceVersion ?? '0');
}
