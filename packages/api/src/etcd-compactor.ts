// etcd upkeep: one API server at a time (leader-elected) compacts etcd every interval, keeping the
// newest `windowRevisions` revisions, so old revisions do not pile up in etcd (Kubernetes' API server
// compacts every 5 minutes). Watches and continued lists from before the kept window then get 410.
// Compaction frees space inside etcd's database file; returning it to the disk takes a defragment
// (`etcdctl defrag`, docs/watch-cache.md), which blocks the member and is left to the operator.
import { createLogger, type Logger } from '@coxswain/process';
import { ExpiredError, type Storage } from '@coxswain/objects';
import { CampaignAbortedError, LeaderElector, PeriodicTask } from '@coxswain/client';

export interface EtcdCompactorOptions {
  /** Must support compact() (EtcdStorage, or the watch cache over it). */
  storage: Storage;
  intervalMs: number;
  /** Revisions kept below the current one. */
  windowRevisions: number;
  /** The election's prefix (default /coxswain/leader/etcd-compactor). */
  electionPrefix?: string;
  leaseTtlSeconds?: number;
  logger?: Logger;
}

export class EtcdCompactor {
  private elector?: LeaderElector;
  private task?: PeriodicTask;
  private stopped = false;
  private retry?: NodeJS.Timeout;
  private readonly log: Logger;
  /** The newest revision this compactor has compacted to ('0': none yet). */
  compactedTo = '0';

  constructor(private readonly opts: EtcdCompactorOptions) {
    if (!opts.storage.compact) throw new Error('EtcdCompactor: the storage cannot compact');
    if (!(opts.windowRevisions >= 1)) throw new RangeError('the compaction window must keep at least 1 revision');
    this.log = opts.logger ?? createLogger('etcd-compactor');
  }

  get isLeader(): boolean {
    return !!this.elector?.isLeader;
  }

  start(): void {
    void this.campaign();
  }

  /** Campaigns; while leading, compacts every interval; on a lost term, campaigns again with a fresh elector. */
  private async campaign(staleLease?: string): Promise<void> {
    if (this.stopped) return;
    const elector = new LeaderElector({
      storage: this.opts.storage,
      prefix: this.opts.electionPrefix ?? '/coxswain/leader/etcd-compactor',
      ttlSeconds: this.opts.leaseTtlSeconds,
      staleLease,
    });
    this.elector = elector;
    elector.onLost(() => void this.endTerm(elector));
    try {
      await elector.campaign();
    } catch (err) {
      if (!(err instanceof CampaignAbortedError)) this.log.warn({ err: (err as Error).message }, 'compactor campaign failed; trying again');
      await this.endTerm(elector);
      return;
    }
    if (this.stopped) return;
    this.task = new PeriodicTask(() => this.compactOnce(), this.opts.intervalMs);
    this.task.start();
  }

  private async endTerm(elector: LeaderElector): Promise<void> {
    if (elector !== this.elector) return;
    const task = this.task;
    this.task = undefined;
    await task?.stop();
    if (this.stopped) return;
    this.retry = setTimeout(() => void this.campaign(elector.unreleasedLease), 1000);
    this.retry.unref();
  }

  /** One pass: compact to (current - window) if that is past what was compacted. Errors are logged; the next pass tries again. */
  async compactOnce(): Promise<void> {
    try {
      const current = BigInt(await this.opts.storage.currentRevision());
      const target = current - BigInt(this.opts.windowRevisions);
      if (target <= BigInt(this.compactedTo)) return;
      try {
        await this.opts.storage.compact!(target.toString());
      } catch (err) {
        if (!(err instanceof ExpiredError)) throw err; // already compacted there (by another server): done
      }
      this.compactedTo = target.toString();
      this.log.info({ revision: this.compactedTo, current: current.toString() }, 'compacted etcd');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'compaction failed; next interval tries again');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    await this.task?.stop();
    await this.elector?.resign().catch(() => undefined);
  }
}
