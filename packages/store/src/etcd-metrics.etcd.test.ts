import { processMetrics } from '@coxswain/process';
import { startEtcd, type EtcdHarness } from '@coxswain/testing';
import { createEtcdStorage } from './etcd-storage';

let etcd: EtcdHarness;
beforeAll(async () => {
  etcd = await startEtcd();
});
afterAll(async () => etcd?.stop());

const count = (text: string, operation: string) => Number(new RegExp(`^etcd_request_duration_seconds_count\\{operation="${operation}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);

it('times every request to etcd by operation, and counts the failed ones', async () => {
  const storage = createEtcdStorage(etcd.endpoints);
  try {
    const before = await processMetrics.metrics();
    await storage.create('/registry/pods/default/m', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'm', namespace: 'default' } });
    await storage.get('/registry/pods/default/m');
    await storage.get('/registry/pods/default/m');
    await expect(storage.get('/registry/pods/default/none')).rejects.toThrow(/not found/);
    const after = await processMetrics.metrics();
    expect(count(after, 'txn') - count(before, 'txn')).toBe(1);
    expect(count(after, 'get') - count(before, 'get')).toBe(3);
    // A missing key is an answer, not a failure of etcd.
    expect(after).not.toMatch(/^etcd_request_errors_total\{operation="get"\}/m);
  } finally {
    await storage.close();
  }
});
