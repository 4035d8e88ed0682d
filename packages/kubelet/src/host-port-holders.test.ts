import { HostPortHolders } from './host-port-holders';
import { hostPortsLabel } from './host-ports';
import { MemoryRuntime } from './memory-runtime';
import { LABELS, RuntimeContainer, SANDBOX_NAME } from './runtime';

const MINION = 'm1';

async function sandbox(rt: MemoryRuntime, name: string, uid: string, ports: number[], opts: { label?: boolean; minion?: string } = {}): Promise<string> {
  await rt.ensureNetwork({ name: 'net', subnet: '172.30.11.0/24', gateway: '172.30.11.1' });
  const labels: Record<string, string> = {
    [LABELS.minion]: opts.minion ?? MINION,
    [LABELS.namespace]: 'default',
    [LABELS.podName]: name,
    [LABELS.podUid]: uid,
    [LABELS.container]: SANDBOX_NAME,
  };
  if (opts.label !== false) labels[LABELS.hostPorts] = hostPortsLabel(ports.map((p) => `${p}/TCP`));
  return rt.runSandbox({
    name: `${name}-${uid}-${opts.minion ?? MINION}`,
    image: 'pause',
    labels,
    network: 'net',
    ports: ports.map((hostPort) => ({ hostPort, containerPort: 80, protocol: 'tcp', hostIp: opts.minion ?? MINION })),
  });
}

describe('HostPortHolders', () => {
  it('finds the terminating pods holding wanted ports; bound pods, stopped sandboxes and other minions are not holders', async () => {
    const rt = new MemoryRuntime({ images: ['pause'] });
    const bound = new Set(['default/live:u-live']);
    const holders = new HostPortHolders({ minion: MINION, runtime: rt, isBound: (k, uid) => bound.has(`${k}:${uid}`) });
    await sandbox(rt, 'old', 'u-old', [8000, 9000]);
    await sandbox(rt, 'live', 'u-live', [8001]);
    await sandbox(rt, 'elsewhere', 'u-x', [8002], { minion: 'm2' });
    const stopped = await sandbox(rt, 'done', 'u-done', [8003]);
    await rt.stopContainer(stopped, 0);

    expect(await holders.find('default/new', ['8000/TCP', '8001/TCP', '8002/TCP', '8003/TCP'])).toEqual([{ key: 'default/old', ports: ['8000/TCP'] }]);
    expect(await holders.find('default/new', ['8000/UDP'])).toEqual([]);
    // A pod deleted and bound again under the same name is its own business (its sync removes the old one).
    expect(await holders.find('default/old', ['8000/TCP'])).toEqual([]);
    // The same pod bound again (uid differs from its sandbox's): the old sandbox is terminating.
    bound.add('default/old:u-other');
    expect(await holders.find('default/other', ['9000/TCP'])).toEqual([{ key: 'default/old', ports: ['9000/TCP'] }]);
  });

  it('falls back to the last seen pod for a sandbox without the host-ports label', async () => {
    const rt = new MemoryRuntime({ images: ['pause'] });
    const holders = new HostPortHolders({
      minion: MINION,
      runtime: rt,
      isBound: () => false,
      lastSeenPorts: (key, uid) => (key === 'default/old' && uid === 'u-old' ? ['8000/TCP'] : undefined),
    });
    await sandbox(rt, 'old', 'u-old', [8000], { label: false });
    await sandbox(rt, 'unknown', 'u-unknown', [8001], { label: false });
    expect(await holders.find('default/new', ['8000/TCP', '8001/TCP'])).toEqual([{ key: 'default/old', ports: ['8000/TCP'] }]);
  });

  it('names the waiters of a holder once it is released, once', async () => {
    const rt = new MemoryRuntime({ images: ['pause'] });
    const holders = new HostPortHolders({ minion: MINION, runtime: rt, isBound: () => false });
    await sandbox(rt, 'old', 'u-old', [8000]);
    await holders.find('default/a', ['8000/TCP']);
    await holders.find('default/b', ['8000/TCP']);
    await holders.find('default/c', ['7000/TCP']);
    expect(holders.waitedOn()).toEqual(['default/old']);
    expect(holders.released('default/old').sort()).toEqual(['default/a', 'default/b']);
    expect(holders.released('default/old')).toEqual([]);
    expect(holders.waitedOn()).toEqual([]);
  });

  it('lists again when a release happens while it lists, rather than wait for a teardown already over', async () => {
    const rt = new MemoryRuntime({ images: ['pause'] });
    const id = await sandbox(rt, 'old', 'u-old', [8000]);
    let lists = 0;
    const racing = Object.assign(Object.create(rt) as MemoryRuntime, {
      listContainers: async (labels: Record<string, string>): Promise<RuntimeContainer[]> => {
        const seen = await rt.listContainers(labels);
        if (++lists === 1) {
          // The old pod's teardown ends between the engine's answer and our use of it.
          await rt.removeContainer(id);
          holders.released('default/old');
        }
        return seen;
      },
    });
    const holders = new HostPortHolders({ minion: MINION, runtime: racing, isBound: () => false });
    expect(await holders.find('default/new', ['8000/TCP'])).toEqual([]);
    expect(lists).toBe(2);
    expect(holders.waitedOn()).toEqual([]);
  });
});
