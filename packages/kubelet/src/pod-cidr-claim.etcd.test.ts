// A kubelet's pod subnet on a real etcd, as an operator starting kubelets sees it: the API server
// stored the cluster CIDR; a kubelet with no --pod-cidr is handed the next free subnet and keeps it
// across restarts; one asking for a taken or foreign subnet, or another subnet than its Minion
// holds, stops with the registry's reason and registers nothing.
import { NotFoundError, type Minion } from '@coxswain/objects';
import { openRegistry, type Registry } from '@coxswain/registry';
import { EtcdHarness, startEtcd } from '@coxswain/testing';
import { runKubelet, type RunKubeletOptions } from './run-kubelet';

jest.setTimeout(30_000);

let etcd: EtcdHarness;
let api: Registry;

beforeAll(async () => {
  etcd = await startEtcd();
  api = openRegistry(etcd.endpoints, { clusterCidr: '10.77.0.0/16' });
  await api.ensureRanges();
});
afterAll(async () => {
  await api?.close();
  await etcd?.stop();
});

const kubelet = (minion: string, extra: Partial<RunKubeletOptions> = {}) =>
  runKubelet({ minion, address: '127.0.1.201', etcdServers: etcd.endpoints, runtime: 'memory', port: 0, heartbeatMs: 1000, ...extra });

const podCidrOf = async (name: string) => (await api.get<Minion>('minions', undefined, name)).spec?.podCIDR;

it('a kubelet without --pod-cidr is handed a free subnet of the cluster CIDR and keeps it across a restart', async () => {
  const first = await kubelet('cidr-a');
  expect(first.kubelet.serviceAddress).toBe('10.77.0.1');
  expect(await podCidrOf('cidr-a')).toBe('10.77.0.0/24');
  await first.stop();
  const again = await kubelet('cidr-a');
  expect(await podCidrOf('cidr-a')).toBe('10.77.0.0/24');
  await again.stop();
  const other = await kubelet('cidr-b', { address: '127.0.1.202' });
  expect(await podCidrOf('cidr-b')).toBe('10.77.1.0/24');
  await other.stop();
});

it('a taken or foreign subnet, or one other than the Minion holds, stops the kubelet with the reason and registers nothing', async () => {
  await expect(kubelet('cidr-c', { podCIDR: '10.77.0.0/24' })).rejects.toThrow('spec.podCIDR: "10.77.0.0/24" is already allocated to another minion');
  await expect(kubelet('cidr-c', { podCIDR: '192.168.3.0/24' })).rejects.toThrow('spec.podCIDR: "192.168.3.0/24" is not inside the cluster CIDR 10.77.0.0/16');
  await expect(api.get('minions', undefined, 'cidr-c')).rejects.toBeInstanceOf(NotFoundError);
  await expect(kubelet('cidr-a', { podCIDR: '10.77.9.0/24' })).rejects.toThrow('minion cidr-a already holds pod CIDR 10.77.0.0/24; --pod-cidr 10.77.9.0/24 cannot replace it');
});

it('a removed minion gives its subnet back to the next kubelet', async () => {
  await api.delete('minions', undefined, 'cidr-b');
  const next = await kubelet('cidr-d', { address: '127.0.1.203' });
  expect(await podCidrOf('cidr-d')).toBe('10.77.1.0/24');
  await next.stop();
});
