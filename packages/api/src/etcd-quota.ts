// etcd's quota, watched. etcd stops taking writes ("mvcc: database space exceeded", its NOSPACE alarm)
// once its database file reaches --quota-backend-bytes (2 GiB unless set). Every API server reads
// the database's size on an interval (etcd's Maintenance.Status: the file's size, and the part
// holding data), exports both beside the quota as metrics, and logs a warning past 80%, so that the
// operator compacts and defragments (docs/store.md) before writes stop. The size only shrinks by a
// defragment: compaction frees pages inside the file (dbSizeInUse) for new writes to reuse.
import { createLogger, type Logger } from '@coxswain/process';
import type { Storage, StorageDbStatus } from '@coxswain/objects';
import { PeriodicTask } from '@coxswain/client';
import { reportEtcdDb } from './api-metrics';

/** etcd's own default --quota-backend-bytes. */
export const DEFAULT_ETCD_QUOTA_BYTES = 2 * 1024 ** 3;
export const DEFAULT_QUOTA_CHECK_INTERVAL_MS = 60_000;
/** Past this share of the quota the check warns. */
export const QUOTA_WARNING_FRACTION = 0.8;

export interface EtcdQuotaReport extends StorageDbStatus {
  quotaBytes: number;
  /** dbSizeBytes / quotaBytes: what etcd's quota counts. */
  usedFraction: number;
}

export interface EtcdQuotaMonitorOptions {
  /** Must support dbStatus() (EtcdStorage, or the watch cache over it). */
  storage: Storage;
  /** etcd's --quota-backend-bytes (etcd does not report it). */
  quotaBytes: number;
  intervalMs: number;
  logger?: Logger;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export class EtcdQuotaMonitor {
  private readonly task: PeriodicTask;
  private readonly log: Logger;
  /** The latest reading (undefined until one succeeded). */
  last?: EtcdQuotaReport;

  constructor(private readonly opts: EtcdQuotaMonitorOptions) {
    if (!opts.storage.dbStatus) throw new Error('EtcdQuotaMonitor: the storage cannot report its database size');
    if (!(opts.quotaBytes > 0)) throw new RangeError(`the etcd quota must be a positive number of bytes, not ${opts.quotaBytes}`);
    this.log = opts.logger ?? createLogger('etcd-quota');
    this.task = new PeriodicTask(async () => void (await this.checkOnce()), opts.intervalMs);
  }

  start(): void {
    this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** One reading: metrics set, a warning logged past 80%. Errors are logged; undefined then. */
  async checkOnce(): Promise<EtcdQuotaReport | undefined> {
    let status: StorageDbStatus;
    try {
      status = await this.opts.storage.dbStatus!();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not read etcd database size; next interval tries again');
      return undefined;
    }
    const report: EtcdQuotaReport = { ...status, quotaBytes: this.opts.quotaBytes, usedFraction: status.dbSizeBytes / this.opts.quotaBytes };
    this.last = report;
    reportEtcdDb(report);
    if (report.usedFraction > QUOTA_WARNING_FRACTION) {
      this.log.warn(
        { dbSizeBytes: report.dbSizeBytes, dbSizeInUseBytes: report.dbSizeInUseBytes, quotaBytes: report.quotaBytes },
        `etcd database at ${(report.usedFraction * 100).toFixed(0)}% of its quota (${mib(report.dbSizeBytes)} of ${mib(report.quotaBytes)}, ${mib(report.dbSizeInUseBytes)} in use): ` +
          'etcd refuses writes at 100%; defragment each member in turn (docs/store.md) or raise --quota-backend-bytes',
      );
    }
    return report;
  }
}
