import { FakeClock, settle } from '@coxswain/testing';
import { MemoryRuntime } from './memory-runtime';
import { ContainerNotFoundError, ImagePullError, RuntimeEvent } from './runtime';

async function sandboxOf(rt: MemoryRuntime, name = 's', ports: { hostPort: number; hostIp: string }[] = []) {
  await rt.ensureNetwork({ name: 'net', subnet: '172.30.11.0/24', gateway: '172.30.11.1' });
  return rt.runSandbox({ name, image: 'pause', labels: { pod: name }, network: 'net', ports: ports.map((p) => ({ ...p, containerPort: 80, protocol: 'tcp' as const })) });
}

describe('MemoryRuntime', () => {
  it('runs sandboxes with addresses from the network and refuses a host port in use', async () => {
    const rt = new MemoryRuntime({ images: ['pause'] });
    const a = await sandboxOf(rt, 'a', [{ hostPort: 8080, hostIp: '127.0.1.1' }]);
    expect((await rt.inspect(a)).ip).toBe('172.30.11.2');
    await expect(sandboxOf(rt, 'b', [{ hostPort: 8080, hostIp: '127.0.1.1' }])).rejects.toThrow(/already allocated/);
    await sandboxOf(rt, 'c', [{ hostPort: 8080, hostIp: '127.0.1.2' }]);
    await expect(rt.ensureNetwork({ name: 'net', subnet: '10.0.0.0/24', gateway: '10.0.0.1' })).rejects.toThrow(/subnet/);
  });

  it('keeps a stopping sandbox and its host port until it has exited (stop latency)', async () => {
    const clock = new FakeClock(0);
    const rt = new MemoryRuntime({ clock, images: ['pause'], stopLatencyMs: 500 });
    const a = await sandboxOf(rt, 'a', [{ hostPort: 8000, hostIp: '127.0.1.1' }]);
    const stopping = rt.stopContainer(a, 30);
    await settle();
    expect((await rt.inspect(a)).state).toBe('running');
    await expect(sandboxOf(rt, 'b', [{ hostPort: 8000, hostIp: '127.0.1.1' }])).rejects.toThrow(/port is already allocated/);
    await clock.advance(500);
    await stopping;
    expect(await rt.inspect(a)).toMatchObject({ state: 'exited', exitCode: 143 });
    await sandboxOf(rt, 'b', [{ hostPort: 8000, hostIp: '127.0.1.1' }]);
  });

  it('scripts exits on the injected clock, delays starts, and emits events to matching subscribers', async () => {
    const clock = new FakeClock(0);
    const rt = new MemoryRuntime({ clock, images: ['pause', 'img'], startLatencyMs: 100, behavior: () => ({ exitAfterMs: 1000, exitCode: 4, output: 'hi\n' }) });
    const events: RuntimeEvent[] = [];
    rt.subscribe({ app: 'x' }, (e) => events.push(e));
    const sandboxP = sandboxOf(rt);
    await settle();
    expect(clock.pending()).toBe(1); // the start latency
    await clock.advance(100);
    const sb = await sandboxP;
    const id = await rt.createContainer({ name: 'c', image: 'img', env: [], labels: { app: 'x' }, sandboxId: sb });
    const started = rt.startContainer(id);
    await settle();
    await clock.advance(100);
    await started;
    expect((await rt.inspect(id)).state).toBe('running');
    await clock.advance(1000);
    expect(await rt.inspect(id)).toMatchObject({ state: 'exited', exitCode: 4 });
    expect(events.map((e) => e.type)).toEqual(['start', 'die']);
    let text = '';
    for await (const chunk of await rt.logs(id)) text += chunk.toString();
    expect(text).toBe('hi\n');
    await rt.removeContainer(id);
    await expect(rt.inspect(id)).rejects.toBeInstanceOf(ContainerNotFoundError);
  });

  it('injects pull and start failures', async () => {
    const rt = new MemoryRuntime({ images: ['pause'], pullFails: (i) => (i === 'bad' ? 'no such image' : undefined), startFails: (c) => (c.image === 'crashy' ? 'exec format error' : undefined) });
    await expect(rt.pullImage('bad')).rejects.toBeInstanceOf(ImagePullError);
    expect(await rt.hasImage('bad')).toBe(false);
    await rt.pullImage('crashy');
    const sb = await sandboxOf(rt);
    const id = await rt.createContainer({ name: 'c', image: 'crashy', env: [], labels: {}, sandboxId: sb });
    await expect(rt.startContainer(id)).rejects.toThrow(/exec format error/);
    expect(await rt.inspect(id)).toMatchObject({ state: 'exited', exitCode: 128, reason: 'ContainerCannotRun' });
    await expect(rt.createContainer({ name: 'd', image: 'never-pulled', env: [], labels: {}, sandboxId: sb })).rejects.toThrow(/No such image/);
  });

  it('hands over a sandbox ID before its start, and starts an app container only once its sandbox runs', async () => {
    const clock = new FakeClock(0);
    const rt = new MemoryRuntime({ clock, images: ['pause', 'img'], startLatencyMs: 100 });
    await rt.ensureNetwork({ name: 'net', subnet: '172.30.11.0/24', gateway: '172.30.11.1' });
    let app: string | undefined;
    const sandbox = rt.runSandbox({ name: 's', image: 'pause', labels: {}, network: 'net', ports: [] }, (id) => {
      void rt.createContainer({ name: 'a', image: 'img', env: [], labels: {}, sandboxId: id }).then((a) => (app = a));
    });
    await settle();
    expect(app).toBeDefined();
    expect((await rt.inspect(app!)).state).toBe('created');
    await expect(rt.startContainer(app!)).rejects.toThrow(/non running container/);
    await clock.advance(100);
    const id = await sandbox;
    const late = rt.startContainer(app!);
    await clock.advance(100);
    await late;
    expect((await rt.inspect(app!)).state).toBe('running');
    expect((await rt.inspect(id)).state).toBe('running');
  });

  it('removes a sandbox whose start fails', async () => {
    const rt = new MemoryRuntime({ images: ['pause'], sandboxStartFails: () => 'driver failed programming external connectivity' });
    let created: string | undefined;
    await rt.ensureNetwork({ name: 'net', subnet: '172.30.11.0/24', gateway: '172.30.11.1' });
    await expect(rt.runSandbox({ name: 's', image: 'pause', labels: {}, network: 'net', ports: [] }, (id) => (created = id))).rejects.toThrow(/external connectivity/);
    await expect(rt.inspect(created!)).rejects.toThrow(ContainerNotFoundError);
  });
});
