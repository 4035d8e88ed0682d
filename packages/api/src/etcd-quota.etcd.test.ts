// etcd's database size against its quota, on a real etcd: the API server reports it (metrics), warns
// past 80%, and compaction then a defragment (docs/store.md) are what bring the file back down.
import type { Pod } from '@coxswain/objects';
import { processMetrics } from '@coxswain/process';
import { createEtcdStorage, type EtcdStorage } from '@coxswain/store';
import { eventually, parsePrometheusText, recordingLogger, startEtcd, type EtcdHarness } from '@coxswain/testing';
import { EtcdQuotaMonitor } from './etcd-quota';
import { runApiServer } from './api-server-command';

jest.setTimeout(60_000);

let etcd: EtcdHarness;
let storage: EtcdStorage;

beforeAll(async () => {
  etcd = await startEtcd();
  storage = createEtcdStorage(etcd.endpoints);
});
afterAll(() => storage?.close().finally(() => etcd.stop()));

/**
 * 800 pods of ~4 KiB each, written and deleted: ~3.2 MiB of data that compaction can free, well
 * past the 1 MiB the test looks for (at 1.2 MiB, bbolt reusing a few freed pages for the writes
 * around the compaction left less than 1 MiB free once on a loaded machine).
 */
async function churn(): Promise<void> {
  const pad = 'x'.repeat(4096);
  for (let i = 0; i < 800; i++) {
    const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}`, namespace: 'default', annotations: { pad } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
    await storage.create(`/registry/pods/default/p${i}`, pod);
  }
  for (let i = 0; i < 800; i++) await storage.delete(`/registry/pods/default/p${i}`);
}

async function metric(name: string): Promise<number | undefined> {
  return parsePrometheusText(await processMetrics.metrics()).samples.get(name);
}

describe("etcd's database against its quota", () => {
  it('is reported by the API server as metrics, against --etcd-quota-bytes', async () => {
    const api = await runApiServer({ etcdServers: etcd.endpoints, port: 0, metricsResolutionMs: 0, etcdQuotaBytes: 512 * 1024 ** 2 });
    try {
      const report = await api.quota!.checkOnce();
      expect(report!.dbSizeBytes).toBeGreaterThan(0);
      expect(report!.dbSizeInUseBytes).toBeLessThanOrEqual(report!.dbSizeBytes);
      expect(report!.quotaBytes).toBe(512 * 1024 ** 2);
      expect(await metric('apiserver_storage_db_total_size_in_bytes')).toBe(report!.dbSizeBytes);
      expect(await metric('apiserver_storage_db_in_use_bytes')).toBe(report!.dbSizeInUseBytes);
      expect(await metric('apiserver_storage_quota_bytes')).toBe(512 * 1024 ** 2);
    } finally {
      await api.close();
    }
  });

  it('warns past 80% of the quota, naming the figures and the remedy, and not below', async () => {
    const size = (await storage.dbStatus()).dbSizeBytes;
    const near = recordingLogger('info');
    await new EtcdQuotaMonitor({ storage, quotaBytes: Math.floor(size / 0.9), intervalMs: 60_000, logger: near.logger }).checkOnce();
    const warnings = near.records.filter((r) => r.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/^etcd database at 90% of its quota \(.* MiB of .* MiB, .* MiB in use\): etcd refuses writes at 100%; defragment/);
    const far = recordingLogger('info');
    await new EtcdQuotaMonitor({ storage, quotaBytes: size * 2, intervalMs: 60_000, logger: far.logger }).checkOnce();
    expect(far.records.filter((r) => r.level === 40)).toEqual([]);
  });

  it('shrinks only by a defragment: compaction frees pages in the file (in use falls), defrag returns them', async () => {
    await churn();
    await storage.compact(await storage.currentRevision());
    // etcd compacts its backend in the background; the freed pages stay in the file: in use falls well below its size.
    const compacted = await eventually(async () => {
      const s = await storage.dbStatus();
      return s.dbSizeInUseBytes < s.dbSizeBytes - 1024 * 1024 ? s : undefined;
    }, 20_000, 'in use 1 MiB below the file size after the compaction');
    const client = etcd.client();
    try {
      await client.maintenance.defragment();
    } finally {
      client.close();
    }
    const defragmented = await storage.dbStatus();
    expect(defragmented.dbSizeBytes).toBeLessThan(compacted.dbSizeBytes - 1024 * 1024);
  });

  it('refuses a quota that is not a positive number of bytes', async () => {
    expect(() => new EtcdQuotaMonitor({ storage, quotaBytes: 0, intervalMs: 1000 })).toThrow('the etcd quota must be a positive number of bytes, not 0');
    await expect(runApiServer({ etcdServers: etcd.endpoints, port: 0, etcdQuotaBytes: -1 })).rejects.toThrow('--etcd-quota-bytes: a whole number of at least 1, not -1');
  });
});
