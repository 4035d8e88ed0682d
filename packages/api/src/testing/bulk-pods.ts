// Many pods written straight to etcd (100 per txn, 16 txns in flight), bypassing the API, so that
// list tests start from a large store quickly. Each pod is a realistic guestbook frontend.
import { encodeObject, objectKey } from '@coxswain/objects';
import type { Pod } from '@coxswain/objects';
import type { Etcd3 } from 'etcd3';

export function bulkPod(namespace: string, i: number): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `${namespace}-${i}`, namespace, uid: `uid-${i}`, generation: 1, creationTimestamp: '2014-06-10T00:00:00Z', labels: { name: 'frontend', shard: String(i % 10) } },
    spec: {
      containers: [{ name: 'php-redis', image: 'brendanburns/php-redis', ports: [{ containerPort: 80, hostPort: 8000, protocol: 'TCP' }], env: [{ name: 'A', value: 'b' }] }],
      restartPolicy: 'Always',
      nodeName: `minion-${i % 50}`,
    },
    status: { phase: 'Running', hostIP: '127.0.1.1', podIP: `172.30.${i % 250}.${i % 200}` },
  };
}

/** Writes pods `<namespace>-0` .. `<namespace>-(count-1)` into `namespace`. */
export async function writeBulkPods(etcd: Etcd3, namespace: string, count: number): Promise<void> {
  const batch = 100;
  const jobs: Promise<unknown>[] = [];
  for (let start = 0; start < count; start += batch) {
    const ops = [];
    for (let i = start; i < Math.min(count, start + batch); i++) {
      ops.push({ request_put: { key: Buffer.from(objectKey('pods', namespace, `${namespace}-${i}`)), value: encodeObject(bulkPod(namespace, i)) } });
    }
    jobs.push(etcd.kv.txn({ compare: [], success: ops, failure: [] }));
    if (jobs.length >= 16) await Promise.all(jobs.splice(0));
  }
  await Promise.all(jobs);
}
