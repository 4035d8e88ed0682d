// UDP through the service proxy on a real Docker engine and a real etcd: a DNS service (53/UDP) on the
// minion's service address (the pod network's gateway), queried with busybox nslookup from inside a
// pod and with plain datagrams from the host.
//
// The service has no selector and hand-written Endpoints (as for a backend outside the cluster):
// its endpoints are small DNS responders in this process on 127.0.0.1, because the busybox image has
// no UDP server (its nc has no -u, and no udpsvd applet). The pod is the client instead, so the path
// pod -> gateway:53/UDP -> proxy -> endpoint -> proxy -> pod is exercised end to end.
import * as dgram from 'dgram';
import type { Registry } from '@coxswain/registry';
import { etcdRegistry, eventually, startEtcd, type EtcdHarness } from '@coxswain/testing';
import { type Endpoints, type Pod, type Service } from '@coxswain/objects';
import { DockerRuntime, LABELS, runKubelet, type RunningKubelet } from '@coxswain/kubelet';
import { runScheduler, type ReconcilerHandle } from '@coxswain/reconcilers';
import { runProxy, type RunningProxy } from '@coxswain/proxy';
import { httpGet } from './support/http-get';
import { ensureImages, IMAGES } from './support/images';
import { removeMinionLeftovers } from './support/minion-leftovers';

jest.setTimeout(180_000);

const M = { minion: 'e2e-proxy-udp-35', address: '127.0.1.35', podCIDR: '172.30.35.0/24' };
const GATEWAY = '172.30.35.1';
const NS = 'default';
const NAME = 'udp-check.coxswain.test';

let etcd: EtcdHarness;
let store: Registry;
let kubelet: RunningKubelet | undefined;
let scheduler: ReconcilerHandle | undefined;
let proxy: RunningProxy | undefined;
const responders: DnsResponder[] = [];
const docker = new DockerRuntime();

// ---- a minimal DNS responder: every A question gets one answer, other types none ----------------------

interface DnsResponder {
  port: number;
  address: string;
  queries: number;
  close(): Promise<void>;
}

function dnsAnswer(query: Buffer, address: string): Buffer {
  let end = 12;
  while (query[end] !== 0) end += query[end] + 1;
  const qtype = query.readUInt16BE(end + 1);
  const question = query.subarray(12, end + 5);
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2); // the query's id
  header.writeUInt16BE(0x8180, 2); // a response, recursion desired and available, NOERROR
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(qtype === 1 ? 1 : 0, 6);
  if (qtype !== 1) return Buffer.concat([header, question]);
  const rr = Buffer.alloc(16);
  rr.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
  rr.writeUInt16BE(1, 2); // A
  rr.writeUInt16BE(1, 4); // IN
  rr.writeUInt32BE(60, 6);
  rr.writeUInt16BE(4, 10);
  address.split('.').forEach((o, i) => (rr[12 + i] = Number(o)));
  return Buffer.concat([header, question, rr]);
}

async function startResponder(address: string): Promise<DnsResponder> {
  const socket = dgram.createSocket('udp4');
  const r: DnsResponder = {
    port: 0,
    address,
    queries: 0,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
  socket.on('message', (msg, from) => {
    r.queries++;
    socket.send(dnsAnswer(msg, address), from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  r.port = socket.address().port;
  return r;
}

/** A port on 127.0.0.1 where nothing listens. */
async function deadPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** Sends one DNS query for NAME to the service from the host; resolves with the A record's address. */
function queryFromHost(timeoutMs = 2000): Promise<string> {
  const socket = dgram.createSocket('udp4');
  const q = Buffer.concat([
    Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]),
    ...NAME.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
    Buffer.from([0, 0, 1, 0, 1]),
  ]);
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no reply from the service')), timeoutMs);
    socket.once('message', (msg) => {
      clearTimeout(timer);
      resolve([...msg.subarray(msg.length - 4)].join('.'));
    });
    socket.send(q, 53, GATEWAY);
  }).finally(() => socket.close());
}


/** One series of the dns service's UDP port from the proxy's /metrics. */
async function metric(name: string): Promise<number> {
  const { body } = await httpGet(`${proxy!.health.url}/metrics`);
  const series = `${name}{namespace="${NS}",service="dns",port="dns",protocol="UDP"} `;
  const line = body.split('\n').find((l) => l.startsWith(series));
  return line ? Number(line.slice(series.length)) : NaN;
}

const removeLeftovers = () => removeMinionLeftovers(docker, [M.minion]);

beforeAll(async () => {
  await ensureImages();
  await removeLeftovers();
  etcd = await startEtcd();
  store = etcdRegistry(etcd.client(), { watchProgressIntervalMs: 1000 });
  kubelet = await runKubelet({ ...M, etcdServers: etcd.endpoints, runtime: 'docker', port: 10250, resyncMs: 1000, heartbeatMs: 2000 });
  scheduler = await runScheduler({ etcdServers: etcd.endpoints, leaderElect: false });
  await scheduler.running;
  proxy = await runProxy({ minion: M.minion, store, healthzPort: 0 });
});

afterAll(async () => {
  await proxy?.stop();
  await scheduler?.stop();
  await kubelet?.stop();
  await removeLeftovers();
  for (const r of responders) await r.close();
  await store?.close();
  await etcd?.stop();
  await docker.close();
});

describe('UDP service through the proxy on Docker', () => {
  it('answers DNS over UDP from inside a pod and from the host, spread over the endpoints, skipping a dead one', async () => {
    expect(proxy!.bindAddress).toBe(GATEWAY);
    responders.push(await startResponder('10.9.8.1'), await startResponder('10.9.8.2'));
    const dead = await deadPort();
    await store.create<Service>({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'dns', namespace: NS },
      spec: { ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] },
    });
    await store.create<Endpoints>({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'dns', namespace: NS },
      subsets: [
        ...responders.map((r) => ({ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'dns', port: r.port, protocol: 'UDP' as const }] })),
        { addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'dns', port: dead, protocol: 'UDP' as const }] },
      ],
    });

    // From the host: one datagram in, the endpoint's reply out, from the service address.
    const fromHost = await eventually(() => queryFromHost(), 30_000, 'a reply through the UDP service', 200);
    expect(['10.9.8.1', '10.9.8.2']).toContain(fromHost);
    // Queries sent before the proxy had the Endpoints were dropped and counted; none from here on.
    const errorsBefore = await metric('coxswain_proxy_errors_total');

    // From a pod created after the service, through its environment variables. Each nslookup uses a
    // fresh source port, so each is a new session, and round robin spreads them.
    await store.create<Pod>({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'dns-client', namespace: NS },
      spec: { containers: [{ name: 'main', image: IMAGES.busybox, command: ['sleep', '3600'] }] },
    });
    await eventually(async () => (await store.get<Pod>('pods', NS, 'dns-client')).status?.phase === 'Running', 60_000, 'client pod Running', 200);
    const [c] = await docker.listContainers({ [LABELS.minion]: M.minion, [LABELS.podName]: 'dns-client', [LABELS.container]: 'main' });
    const env = await docker.exec(c.id, ['sh', '-c', 'echo $DNS_SERVICE_HOST:$DNS_SERVICE_PORT'], 10_000);
    expect(env.output.trim()).toBe(`${GATEWAY}:53`);
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const r = await docker.exec(c.id, ['sh', '-c', `nslookup -type=a ${NAME} $DNS_SERVICE_HOST`], 15_000);
      expect(r.exitCode).toBe(0);
      const m = /Name:\s+udp-check\.coxswain\.test\s+Address:\s+(\S+)/.exec(r.output);
      expect(m).not.toBeNull();
      seen.add(m![1]);
    }
    expect([...seen].sort()).toEqual(['10.9.8.1', '10.9.8.2']);

    expect(await metric('coxswain_proxy_listener_up')).toBe(1);
    expect(await metric('coxswain_proxy_endpoints')).toBe(3);
    expect(await metric('coxswain_proxy_datagrams_out_total')).toBeGreaterThanOrEqual(7);
    // Round robin put some sessions on the dead endpoint first; each moved on without a lost query.
    expect(await metric('coxswain_proxy_endpoint_connect_failures_total')).toBeGreaterThan(0);
    expect(await metric('coxswain_proxy_errors_total')).toBe(errorsBefore);
  });
});
