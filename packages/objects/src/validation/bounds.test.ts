// Integer fields and quantities bounded as Kubernetes bounds them: int32 counts, int64 quantities,
// ports 1-65535 with hostPort 0 meaning none, and no memory limit a runtime would refuse.
import type { Pod, ReplicationController } from '../types';
import { validateInternal } from './index';

function rc(replicas: number): ReplicationController {
  return {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name: 'web', namespace: 'default' },
    spec: { replicas, selector: { app: 'web' }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
  };
}

function pod(container: Partial<Pod['spec']['containers'][number]>): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'nginx', ...container }] } };
}

const fields = (causes: { field: string; message: string }[]) => causes.map((c) => `${c.field}: ${c.message}`);

describe('bounds', () => {
  it.each([0, 1, 1e9, 2 ** 31 - 1])('replicas %d is an int32: accepted', (n) => expect(validateInternal(rc(n))).toEqual([]));

  it.each([2 ** 31, 2 ** 53 + 1, 1e30])('replicas %d is past int32: refused naming spec.replicas', (n) => {
    expect(fields(validateInternal(rc(n)))).toEqual(['spec.replicas: must be at most 2147483647']);
  });

  it.each([
    ['1e30', 'must be at most 2^63-1 bytes (Kubernetes keeps a quantity in an int64)'],
    ['909494701772928300Ti', 'must be at most 2^63-1 bytes (Kubernetes keeps a quantity in an int64)'],
    ['1', 'must be 0 (no limit) or at least 6Mi: Docker refuses a memory limit below 6 MiB'],
    ['5Mi', 'must be 0 (no limit) or at least 6Mi: Docker refuses a memory limit below 6 MiB'],
  ])('memory limit %s is refused: %s', (memory, message) => {
    expect(fields(validateInternal(pod({ resources: { limits: { memory } } })))).toEqual([`spec.containers[0].resources.limits.memory: ${message}`]);
  });

  it.each(['6Mi', '0', '64Mi', '1e9', '7Ei'])('memory limit %s is accepted', (memory) => {
    expect(validateInternal(pod({ resources: { limits: { memory } } }))).toEqual([]);
  });

  it('a memory request below the runtime minimum is fine (requests never reach the runtime)', () => {
    expect(validateInternal(pod({ resources: { requests: { memory: '1' } } }))).toEqual([]);
  });

  it('cpu past int64 millicores is refused naming the field', () => {
    expect(fields(validateInternal(pod({ resources: { limits: { cpu: '1e20' } } })))).toEqual([
      'spec.containers[0].resources.limits.cpu: must be at most 2^63-1 millicores (Kubernetes keeps a quantity in an int64)',
    ]);
  });

  it('hostPort 0 means none; ports outside 1-65535 are refused', () => {
    expect(validateInternal(pod({ ports: [{ containerPort: 80, hostPort: 0 }, { containerPort: 81, hostPort: 0 }] }))).toEqual([]);
    expect(fields(validateInternal(pod({ ports: [{ containerPort: 65536, hostPort: 2 ** 31 }] })))).toEqual([
      'spec.containers[0].ports[0].containerPort: must be between 1 and 65535',
      'spec.containers[0].ports[0].hostPort: must be between 1 and 65535',
    ]);
  });
});
