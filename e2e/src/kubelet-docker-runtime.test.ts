// The Docker runtime on the real engine: network, sandbox with a host port, an app container in the
// sandbox's namespace, exec, logs, events, stop and remove; sandboxes without host ports put on the
// bridge by the kubelet, not Docker. Minion address 127.0.1.19, 172.30.19.0/24 (and 172.30.29.0/24
// for a network made as an older kubelet made it).
import { DockerRuntime, InvalidImageNameError, LABELS, RuntimeEvent } from '@coxswain/kubelet';
import { eventually } from '@coxswain/testing';
import { docker } from './support/docker-cli';
import { httpGet } from './support/http-get';
import { ensureImages, IMAGES } from './support/images';

const MINION = 'e2e-rt-19';
const NETWORK = `coxswain-${MINION}`;
const ADDRESS = '127.0.1.19';
const labels = { [LABELS.minion]: MINION };

jest.setTimeout(60_000);


async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
}

describe('DockerRuntime', () => {
  const runtime = new DockerRuntime();

  beforeAll(async () => {
    await ensureImages();
  });

  afterAll(async () => {
    for (const c of await runtime.listContainers(labels)) await runtime.removeContainer(c.id);
    await runtime.removeNetwork(NETWORK);
    await runtime.close();
  });

  it('runs a sandbox and an app container sharing its network, with a host port', async () => {
    await runtime.ensureNetwork({ name: NETWORK, subnet: '172.30.19.0/24', gateway: '172.30.19.1', labels });
    await runtime.ensureNetwork({ name: NETWORK, subnet: '172.30.19.0/24', gateway: '172.30.19.1', labels }); // idempotent

    // Events from the moment of subscribing, even before the engine has answered the request.
    const events: RuntimeEvent[] = [];
    const unsubscribe = runtime.subscribe(labels, (e) => events.push(e));

    const podLabels = { ...labels, [LABELS.podUid]: 'uid-rt-1' };
    const sandboxId = await runtime.runSandbox({
      name: 'coxswain_POD_rt_default_uidrt1_0',
      image: IMAGES.pause,
      labels: { ...podLabels, [LABELS.container]: 'POD' },
      network: NETWORK,
      hostname: 'rt',
      ports: [{ containerPort: 80, hostPort: 18019, protocol: 'tcp', hostIp: ADDRESS }],
    });
    const sandbox = await runtime.inspect(sandboxId);
    expect(sandbox.state).toBe('running');
    expect(sandbox.ip).toMatch(/^172\.30\.19\.\d+$/);

    const appId = await runtime.createContainer({
      name: 'coxswain_web_rt_default_uidrt1_0',
      image: IMAGES.busybox,
      command: ['sh', '-c', 'echo started; echo hello > /tmp/index.html; exec httpd -f -p 80 -h /tmp'],
      env: ['GREETING=hi'],
      labels: { ...podLabels, [LABELS.container]: 'web' },
      sandboxId,
      memoryBytes: 64 * 1024 * 1024,
      nanoCpus: 500_000_000,
    });
    await runtime.startContainer(appId);

    // The host port on the minion's address, the pod IP from the host, and exec inside.
    const answer = await eventually(() => httpGet(`http://${ADDRESS}:18019/index.html`), 5000, 'the host port answering', 100);
    expect(answer).toMatchObject({ status: 200, body: 'hello\n' });
    expect((await httpGet(`http://${sandbox.ip}:80/index.html`)).body).toBe('hello\n');
    const exec = await runtime.exec(appId, ['sh', '-c', 'echo $GREETING; exit 3'], 5000);
    expect(exec).toEqual({ exitCode: 3, output: 'hi\n' });

    expect(await readAll(await runtime.logs(appId, { tail: 10 }))).toBe('started\n');
    // Timestamps as the engine writes them (RFC 3339 with nanoseconds), and since: nothing after now.
    expect(await readAll(await runtime.logs(appId, { timestamps: true }))).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z started\n$/);
    expect(await readAll(await runtime.logs(appId, { since: Date.now() + 60_000 }))).toBe('');
    expect(await readAll(await runtime.logs(appId, { since: Date.now() - 600_000 }))).toBe('started\n');

    await runtime.stopContainer(appId, 5);
    const stopped = await runtime.inspect(appId);
    expect(stopped.state).toBe('exited');
    expect(stopped.finishedAt).toBeDefined();

    await eventually(() => events.some((e) => e.id === appId && e.type === 'die'), 5000, 'the die event');
    expect(events.filter((e) => e.id === appId).map((e) => e.type)).toEqual(['start', 'die']);
    expect(events.find((e) => e.id === appId)?.labels[LABELS.container]).toBe('web');
    unsubscribe();

    const listed = await runtime.listContainers(podLabels);
    expect(listed.map((c) => c.id).sort()).toEqual([sandboxId, appId].sort());
    await runtime.removeContainer(appId);
    await runtime.removeContainer(appId); // missing is fine
    await runtime.stopContainer(sandboxId, 10);
    expect((await runtime.inspect(sandboxId)).exitCode).toBe(0); // the pause image exits cleanly on SIGTERM
    await runtime.removeContainer(sandboxId);
    expect(await runtime.listContainers(podLabels)).toEqual([]);
  });

  it('creates an app container in a sandbox that is created but not yet started; it starts in its network once the sandbox runs', async () => {
    await runtime.ensureNetwork({ name: NETWORK, subnet: '172.30.19.0/24', gateway: '172.30.19.1', labels });
    const podLabels = { ...labels, [LABELS.podUid]: 'uid-rt-2' };
    let appCreate: Promise<string> | undefined;
    const sandboxId = await runtime.runSandbox(
      { name: 'coxswain_POD_rt2_default_uidrt2_0', image: IMAGES.pause, labels: { ...podLabels, [LABELS.container]: 'POD' }, network: NETWORK, hostname: 'rt2', ports: [] },
      (id) => {
        appCreate = runtime.createContainer({
          name: 'coxswain_web_rt2_default_uidrt2_0',
          image: IMAGES.busybox,
          command: ['sh', '-c', 'echo early > /tmp/index.html; exec httpd -f -p 80 -h /tmp'],
          env: [],
          labels: { ...podLabels, [LABELS.container]: 'web' },
          sandboxId: id,
        });
      },
    );
    expect(appCreate).toBeDefined();
    const appId = await appCreate!;
    await runtime.startContainer(appId);
    const sandbox = await runtime.inspect(sandboxId);
    expect(sandbox.ip).toMatch(/^172\.30\.19\.\d+$/);
    const answer = await eventually(() => httpGet(`http://${sandbox.ip}:80/index.html`), 5000, 'the app answering on the sandbox IP', 100);
    expect(answer).toMatchObject({ status: 200, body: 'early\n' });
    for (const id of [appId, sandboxId]) await runtime.removeContainer(id);
  });

  it('puts sandboxes without host ports on the bridge itself: addresses below Docker\'s range, distinct, reachable, the hostname resolving, a removed one\'s address given again', async () => {
    await runtime.ensureNetwork({ name: NETWORK, subnet: '172.30.19.0/24', gateway: '172.30.19.1', labels });
    const podLabels = { ...labels, [LABELS.podUid]: 'uid-rt-3' };
    const sandbox = (name: string, ports: Array<{ containerPort: number; hostPort: number; protocol: 'tcp' | 'udp'; hostIp: string }> = []) =>
      runtime.runSandbox({ name: `coxswain_POD_${name}_default_uidrt3_0`, image: IMAGES.pause, labels: { ...podLabels, [LABELS.container]: 'POD' }, network: NETWORK, hostname: name, ports });
    const app = async (sandboxId: string, name: string, command: string) => {
      const id = await runtime.createContainer({ name: `coxswain_web_${name}_default_uidrt3_0`, image: IMAGES.busybox, command: ['sh', '-c', command], env: [], labels: { ...podLabels, [LABELS.container]: 'web' }, sandboxId });
      await runtime.startContainer(id);
      return id;
    };
    const lastOctet = (ip: string | undefined) => Number(ip?.split('.')[3]);

    // Three at once (the kubelet syncs pods in parallel): three addresses, all the kubelet's (.2-.191).
    const ids = await Promise.all(['rt3-a', 'rt3-b', 'rt3-c'].map((n) => sandbox(n)));
    const ips = await Promise.all(ids.map(async (id) => (await runtime.inspect(id)).ip));
    expect(new Set(ips).size).toBe(3);
    for (const ip of ips) {
      expect(ip).toMatch(/^172\.30\.19\.\d+$/);
      expect(lastOctet(ip)).toBeGreaterThanOrEqual(2);
      expect(lastOctet(ip)).toBeLessThan(192);
    }
    // Docker still attaches a sandbox with a host port, from its own range (.192 and up).
    const published = await sandbox('rt3-p', [{ containerPort: 80, hostPort: 18029, protocol: 'tcp', hostIp: ADDRESS }]);
    expect(lastOctet((await runtime.inspect(published)).ip)).toBeGreaterThanOrEqual(192);

    // From the host, and from the pod Docker attached, the first pod answers on its address; in it, its hostname is its address.
    const web = await app(ids[0]!, 'rt3-a', 'echo hi > /tmp/index.html; exec httpd -f -p 80 -h /tmp');
    expect(await eventually(() => httpGet(`http://${ips[0]}:80/index.html`), 5000, 'the pod answering on its address', 100)).toMatchObject({ status: 200, body: 'hi\n' });
    const client = await app(published, 'rt3-p', 'exec sleep 600');
    expect(await runtime.exec(client, ['wget', '-qO-', `http://${ips[0]}:80/index.html`], 5000)).toEqual({ exitCode: 0, output: 'hi\n' });
    expect(await runtime.exec(web, ['hostname', '-i'], 5000)).toEqual({ exitCode: 0, output: `${ips[0]}\n` });

    // The lowest address given back is the next one given.
    const lowest = ids[ips.indexOf(ips.reduce((a, b) => (lastOctet(a) < lastOctet(b) ? a : b)))]!;
    const freed = (await runtime.inspect(lowest)).ip;
    if (lowest === ids[0]) await runtime.removeContainer(web);
    await runtime.removeContainer(lowest);
    expect((await runtime.inspect(await sandbox('rt3-d'))).ip).toBe(freed);

    for (const c of await runtime.listContainers(podLabels)) await runtime.removeContainer(c.id);
  });

  it('leaves the attach to Docker on a network an older kubelet made (no address range of its own) while pods use it', async () => {
    const network = 'coxswain-e2e-rt-29';
    await docker(['network', 'create', '--subnet', '172.30.29.0/24', '--gateway', '172.30.29.1', '--label', `${LABELS.minion}=${MINION}`, network]);
    const podLabels = { ...labels, [LABELS.podUid]: 'uid-rt-4' };
    try {
      await docker(['run', '-d', '--label', `${LABELS.minion}=${MINION}`, '--label', `${LABELS.podUid}=uid-rt-4`, '--network', network, IMAGES.pause]);
      await runtime.ensureNetwork({ name: network, subnet: '172.30.29.0/24', gateway: '172.30.29.1', labels });
      const id = await runtime.runSandbox({ name: 'coxswain_POD_rt4_default_uidrt4_0', image: IMAGES.pause, labels: { ...podLabels, [LABELS.container]: 'POD' }, network, hostname: 'rt4', ports: [] });
      expect(await docker(['inspect', '-f', `{{.HostConfig.NetworkMode}} {{(index .NetworkSettings.Networks "${network}").IPAddress}}`, id])).toEqual([expect.stringMatching(new RegExp(`^${network} 172\\.30\\.29\\.\\d+$`))]);
      // Not recreated under its pods: still without an address range.
      expect(await docker(['network', 'inspect', '-f', '{{range .IPAM.Config}}[{{.IPRange}}]{{end}}', network])).toEqual(['[]']);
    } finally {
      for (const c of await runtime.listContainers(podLabels)) await runtime.removeContainer(c.id);
      await runtime.removeNetwork(network);
    }
  });

  it('answers a burst of image questions from one engine inspect; a missing image is asked again', async () => {
    const own = new DockerRuntime();
    const getImage = jest.spyOn(own.docker, 'getImage');
    const answers = await Promise.all([own.hasImage(IMAGES.busybox), own.hasImage(IMAGES.busybox), own.imageUser(IMAGES.busybox)]);
    expect(answers).toEqual([true, true, '']);
    expect(await own.hasImage(IMAGES.busybox)).toBe(true);
    expect(getImage.mock.calls.filter(([name]) => name === IMAGES.busybox)).toHaveLength(1);
    const missing = 'coxswain/not-here-rt:1';
    expect(await own.hasImage(missing)).toBe(false);
    expect(await own.hasImage(missing)).toBe(false);
    expect(getImage.mock.calls.filter(([name]) => name === missing)).toHaveLength(2);
    await own.close();
  });

  it('an event subscription ended before the engine answered leaves no stream open', async () => {
    // Docker's socket is a unix socket: each open request is one PipeWrap in this process.
    const pipes = () => process.getActiveResourcesInfo().filter((r) => r === 'PipeWrap').length;
    const before = pipes();
    const own = new DockerRuntime();
    // The engine's answers to the event requests: each is the stream the runtime must end.
    const answers: Array<Promise<unknown>> = [];
    const getEvents = own.docker.getEvents.bind(own.docker);
    jest.spyOn(own.docker, 'getEvents').mockImplementation(((opts: Parameters<typeof getEvents>[0]) => {
      const answer = getEvents(opts);
      answers.push(answer);
      return answer;
    }) as typeof own.docker.getEvents);
    own.subscribe(labels, () => undefined)(); // unsubscribe at once: the engine has not answered yet
    const unsubscribe = own.subscribe(labels, () => undefined);
    await own.close(); // the same through close()
    unsubscribe();
    expect(answers).toHaveLength(2);
    const streams = (await Promise.all(answers)) as Array<{ destroyed: boolean }>;
    // Each ends once answered, instead of staying open.
    await eventually(() => streams.every((s) => s.destroyed) && pipes() === before, 5000, 'both event streams closed', 20);
  });

  it('reports a pull that cannot succeed as ImagePullError', async () => {
    // A registry on a closed loopback port: fails at once, and talks to nothing outside.
    await expect(runtime.pullImage('127.0.0.1:9/coxswain/none:missing')).rejects.toThrow(/failed to pull image/);
    expect(await runtime.hasImage('127.0.0.1:9/coxswain/none:missing')).toBe(false);
    expect(await runtime.hasImage(IMAGES.busybox)).toBe(true);
  });

  it('refuses an image reference the engine cannot parse as InvalidImageNameError, not a retryable failure', async () => {
    // A space never reaches the engine (node refuses it in the request path); upper case does, and the engine refuses it.
    for (const image of ['busybox latest', 'Busybox:1']) {
      await expect(runtime.hasImage(image)).rejects.toBeInstanceOf(InvalidImageNameError);
      await expect(runtime.pullImage(image)).rejects.toBeInstanceOf(InvalidImageNameError);
    }
  });
});
