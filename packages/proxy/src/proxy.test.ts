import * as dgram from 'dgram';
import * as http from 'http';
import * as net from 'net';
import type { Endpoints, Service, ServicePort } from '@coxswain/objects';
import { ServiceProxy, endpointsFor, type ServiceProxyOptions } from './proxy';
import { serveHealth } from '@coxswain/process';
import { exposeProxyMetrics } from './proxy-metrics';
import { fetchText, startNamedBackend, type NamedBackend } from './testing/fixtures';
import { eventually, freePort } from '@coxswain/testing';

const HOST = '127.0.1.23';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function service(name: string, ports: ServicePort[], sessionAffinity?: 'None' | 'ClientIP'): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: { ports, selector: { app: name }, ...(sessionAffinity ? { sessionAffinity } : {}) },
  };
}

function endpoints(name: string, backends: Array<{ host: string; port: number }>, portName?: string): Endpoints {
  // One subset per backend, as pods with different port numbers would give.
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name, namespace: 'default' },
    subsets: backends.map((b) => ({ addresses: [{ ip: b.host }], ports: [{ port: b.port, ...(portName ? { name: portName } : {}) }] })),
  };
}

async function backends(...names: string[]): Promise<NamedBackend[]> {
  const out = await Promise.all(names.map((n) => startNamedBackend(n)));
  for (const b of out) cleanups.push(() => b.close());
  return out;
}

interface TestProxy {
  proxy: ServiceProxy;
  /** Puts the objects in the caches the proxy reads, tells it as an informer would, and waits until applied. */
  apply(...objs: Array<Service | Endpoints>): Promise<void>;
  /** Removes the objects from the caches, tells the proxy, and waits until applied. */
  remove(...objs: Array<Service | Endpoints>): Promise<void>;
}

function newProxy(extra: Partial<ServiceProxyOptions> = {}): TestProxy {
  const services = new Map<string, Service>();
  const endpoints = new Map<string, Endpoints>();
  const proxy = new ServiceProxy({ bindAddress: HOST, services, endpoints, ...extra });
  proxy.start();
  cleanups.push(() => proxy.stop());
  const key = (o: Service | Endpoints) => `${o.metadata.namespace}/${o.metadata.name}`;
  return {
    proxy,
    apply: async (...objs) => {
      for (const o of objs) {
        if (o.kind === 'Service') services.set(key(o), o as Service), proxy.serviceHandlers.onAdd!(o as Service);
        else endpoints.set(key(o), o as Endpoints), proxy.endpointsHandlers.onAdd!(o as Endpoints);
      }
      await proxy.controller.whenIdle();
    },
    remove: async (...objs) => {
      for (const o of objs) {
        if (o.kind === 'Service') services.delete(key(o)), proxy.serviceHandlers.onDelete!(o as Service);
        else endpoints.delete(key(o)), proxy.endpointsHandlers.onDelete!(o as Endpoints);
      }
      await proxy.controller.whenIdle();
    },
  };
}

async function ready(proxy: ServiceProxy, name: string, port: string): Promise<number> {
  const l = proxy.listener('default', name, port);
  if (!l) throw new Error(`no listener for ${name}:${port}`);
  await l.ready;
  return l.port;
}

async function fetchMany(port: number, n: number): Promise<Record<string, number>> {
  const c: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const name = await fetchText(HOST, port);
    c[name] = (c[name] ?? 0) + 1;
  }
  return c;
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('ServiceProxy', () => {
  it('serves a service over its endpoints and follows scaling', async () => {
    const bs = await backends('pod-a', 'pod-b', 'pod-c');
    const port = await freePort(HOST);
    const { proxy, apply } = newProxy();
    await apply(service('web', [{ port, targetPort: 8080 }]), endpoints('web', bs));
    await ready(proxy, 'web', String(port));
    expect(await fetchMany(port, 30)).toEqual({ 'pod-a': 10, 'pod-b': 10, 'pod-c': 10 });
    await apply(endpoints('web', [bs[1]]));
    expect(await fetchMany(port, 10)).toEqual({ 'pod-b': 10 });
  });

  it('applies sessionAffinity ClientIP from the service spec', async () => {
    const bs = await backends('pod-a', 'pod-b', 'pod-c');
    const port = await freePort(HOST);
    const { proxy, apply } = newProxy();
    await apply(service('sticky', [{ port }], 'ClientIP'), endpoints('sticky', bs));
    await ready(proxy, 'sticky', String(port));
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) seen.add(await fetchText(HOST, port, '127.0.0.9'));
    expect(seen.size).toBe(1);
  });

  it('opens one listener per port of a multi-port service, each to its own endpoint port', async () => {
    const [web, admin] = await backends('web-port', 'admin-port');
    const [p1, p2] = [await freePort(HOST), await freePort(HOST)];
    const { proxy, apply } = newProxy();
    await apply(service('multi', [{ name: 'http', port: p1 }, { name: 'admin', port: p2 }]), {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'multi', namespace: 'default' },
      subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'admin', port: admin.port }, { name: 'http', port: web.port }] }],
    });
    await ready(proxy, 'multi', 'http');
    await ready(proxy, 'multi', 'admin');
    expect(await fetchText(HOST, p1)).toBe('web-port');
    expect(await fetchText(HOST, p2)).toBe('admin-port');
    expect(proxy.status().map((s) => [s.port, s.portNumber, s.listening, s.endpoints])).toEqual([
      ['admin', p2, true, 1],
      ['http', p1, true, 1],
    ]);
  });

  it('closes the listener of a deleted service while an established connection finishes', async () => {
    const echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => echo.close(r)));
    const port = await freePort(HOST);
    const { proxy, apply, remove } = newProxy();
    await apply(service('gone', [{ port }]), endpoints('gone', [{ host: '127.0.0.1', port: (echo.address() as net.AddressInfo).port }]));
    await ready(proxy, 'gone', String(port));
    const sock = net.connect(port, HOST);
    cleanups.push(() => sock.destroy());
    const echoOf = (text: string) =>
      new Promise<string>((resolve) => {
        sock.once('data', (d) => resolve(String(d)));
        sock.write(text);
      });
    expect(await echoOf('ping')).toBe('ping');
    await remove(service('gone', [{ port }]));
    expect(proxy.listener('default', 'gone', String(port))).toBeUndefined();
    await expect(fetchText(HOST, port)).rejects.toThrow(/ECONNREFUSED/);
    expect(await echoOf('still here')).toBe('still here');
  });

  it('moves the listener when the service port changes', async () => {
    const [a] = await backends('pod-a');
    const [p1, p2] = [await freePort(HOST), await freePort(HOST)];
    const { proxy, apply } = newProxy();
    await apply(service('mover', [{ name: 'http', port: p1 }]), endpoints('mover', [a], 'http'));
    await ready(proxy, 'mover', 'http');
    expect(await fetchText(HOST, p1)).toBe('pod-a');
    await apply(service('mover', [{ name: 'http', port: p2 }]));
    await ready(proxy, 'mover', 'http');
    expect(await fetchText(HOST, p2)).toBe('pod-a');
    // The old server stops accepting at once, but a connect racing the close may still land in its backlog.
    await eventually(() => fetchText(HOST, p1).then(() => false, (err: Error) => /ECONNREFUSED/.test(err.message)), 5000, `port ${p1} refusing`);
  });

  it('records a warning event when a port is taken, and serves once it is free', async () => {
    const [a] = await backends('pod-a');
    const port = await freePort(HOST);
    const squatter = net.createServer();
    await new Promise<void>((r) => squatter.listen(port, HOST, r));
    const events: Array<{ name: string; reason: string; message: string }> = [];
    const { proxy, apply } = newProxy({
      bindBackoff: { initialMs: 20, maxMs: 50 },
      events: { warning: (svc, reason, message) => events.push({ name: svc.metadata.name, reason, message }) },
    });
    await apply(service('busy', [{ port }]), endpoints('busy', [a]));
    await eventually(() => events.length >= 2, 5000, 'two PortUnavailable warnings', 10);
    expect(events[0]).toEqual({ name: 'busy', reason: 'PortUnavailable', message: `cannot listen on ${HOST}:${port}: EADDRINUSE; retrying` });
    expect(proxy.status()[0].listening).toBe(false);
    await new Promise((r) => squatter.close(r));
    await ready(proxy, 'busy', String(port));
    expect(await fetchText(HOST, port)).toBe('pod-a');
  });

  it('exposes per-service counters as Prometheus metrics', async () => {
    const [a] = await backends('pod-a');
    const port = await freePort(HOST);
    const { proxy, apply } = newProxy();
    const health = await serveHealth({ port: 0 });
    const unexpose = exposeProxyMetrics(() => proxy.status());
    cleanups.push(unexpose);
    cleanups.push(() => health.close());

    await apply(service('counted', [{ name: 'http', port }]), endpoints('counted', [a], 'http'));
    await ready(proxy, 'counted', 'http');
    for (let i = 0; i < 5; i++) await fetchText(HOST, port);
    // Counters of closed connections are added when the proxy sees the close.
    await eventually(() => proxy.status()[0].stats.connectionsActive === 0, 5000, 'the 5 connections closed at the proxy', 10);
    const { status, body } = await get(health.port, '/metrics');
    expect(status).toBe(200);
    const labels = '{namespace="default",service="counted",port="http",protocol="TCP"}';
    expect(body).toContain('# TYPE coxswain_proxy_connections_total counter');
    expect(body).toContain(`coxswain_proxy_connections_total${labels} 5`);
    expect(body).toContain(`coxswain_proxy_connections_active${labels} 0`);
    expect(body).toContain(`coxswain_proxy_listener_up${labels} 1`);
    expect(body).toContain(`coxswain_proxy_endpoints${labels} 1`);
    expect(body).toContain(`coxswain_proxy_errors_total${labels} 0`);
    const bytesOut = Number(new RegExp(`coxswain_proxy_bytes_out_total${labels.replace(/[{}]/g, '\\$&')} (\\d+)`).exec(body)?.[1]);
    expect(bytesOut).toBeGreaterThan(5 * 'pod-a'.length);
  });
});

/** A UDP server on 127.0.0.1 answering each datagram with `<name>:<datagram>`. */
async function udpEcho(name: string): Promise<{ host: string; port: number }> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, from) => socket.send(`${name}:${msg.toString()}`, from.port, from.address));
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => socket.close(() => r())));
  return { host: '127.0.0.1', port: socket.address().port };
}

function udpRequest(port: number, text: string): Promise<string> {
  const socket = dgram.createSocket('udp4');
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no UDP reply within 2 s')), 2000);
    socket.once('message', (msg) => {
      clearTimeout(timer);
      resolve(msg.toString());
    });
    socket.send(text, port, HOST);
  }).finally(() => socket.close());
}

describe('ServiceProxy with UDP ports', () => {
  it('serves a UDP port next to a TCP port of the same number, each to its own endpoint port', async () => {
    const [web] = await backends('pod-a');
    const dns = await udpEcho('pod-a-dns');
    const port = await freePort(HOST);
    const { proxy, apply } = newProxy();
    const health = await serveHealth({ port: 0 });
    const unexpose = exposeProxyMetrics(() => proxy.status());
    cleanups.push(unexpose);
    cleanups.push(() => health.close());
    await apply(service('dns', [{ name: 'dns', port, protocol: 'UDP' }, { name: 'dns-tcp', port }]), {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'dns', namespace: 'default' },
      subsets: [
        {
          addresses: [{ ip: '127.0.0.1' }],
          ports: [
            { name: 'dns', port: dns.port, protocol: 'UDP' },
            { name: 'dns-tcp', port: web.port, protocol: 'TCP' },
          ],
        },
      ],
    });
    const udp = proxy.udpListener('default', 'dns', 'dns');
    expect(udp).toBeDefined();
    await udp!.ready;
    await ready(proxy, 'dns', 'dns-tcp');
    expect(proxy.listener('default', 'dns', 'dns')).toBeUndefined();

    expect(await udpRequest(port, 'example.org?')).toBe('pod-a-dns:example.org?');
    expect(await fetchText(HOST, port)).toBe('pod-a');

    const st = proxy.status();
    expect(st.map((p) => [p.port, p.protocol, p.portNumber, p.listening, p.endpoints])).toEqual([
      ['dns-tcp', 'TCP', port, true, 1],
      ['dns', 'UDP', port, true, 1],
    ]);
    expect(st[1].stats).toMatchObject({ connectionsTotal: 1, datagramsIn: 1, datagramsOut: 1, bytesIn: 'example.org?'.length });
    const { body } = await get(health.port, '/metrics');
    expect(body).toContain(`coxswain_proxy_datagrams_out_total{namespace="default",service="dns",port="dns",protocol="UDP"} 1`);
    expect(body).not.toContain('coxswain_proxy_datagrams_out_total{namespace="default",service="dns",port="dns-tcp"');
    expect(body).toContain(`coxswain_proxy_listener_up{namespace="default",service="dns",port="dns-tcp",protocol="TCP"} 1`);

    // Dropping the UDP port closes only the UDP listener.
    await apply(service('dns', [{ name: 'dns-tcp', port }]));
    expect(proxy.udpListener('default', 'dns', 'dns')).toBeUndefined();
    expect(udp!.listening).toBe(false);
    expect(await fetchText(HOST, port)).toBe('pod-a');
  });
});

describe('endpointsFor', () => {
  const subsets = [
    {
      addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }],
      notReadyAddresses: [{ ip: '10.0.0.9' }],
      ports: [{ name: 'http', port: 8080 }, { name: 'admin', port: 9090 }],
    },
    { addresses: [{ ip: '10.0.0.3' }], ports: [{ name: 'http', port: 8081 }] },
  ];

  it('takes the ready addresses at the port named like the service port', () => {
    expect(endpointsFor({ name: 'http', port: 80 }, 2, subsets)).toEqual([
      { ip: '10.0.0.1', port: 8080 },
      { ip: '10.0.0.2', port: 8080 },
      { ip: '10.0.0.3', port: 8081 },
    ]);
    expect(endpointsFor({ name: 'admin', port: 90 }, 2, subsets)).toEqual([
      { ip: '10.0.0.1', port: 9090 },
      { ip: '10.0.0.2', port: 9090 },
    ]);
  });

  it('matches the lone port of a single-port service even without a name', () => {
    expect(endpointsFor({ port: 80 }, 1, [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ name: 'web', port: 8080 }] }])).toEqual([
      { ip: '10.0.0.1', port: 8080 },
    ]);
    expect(endpointsFor({ port: 80 }, 1, [])).toEqual([]);
  });

  it('matches endpoint ports by protocol', () => {
    const dns = [
      {
        addresses: [{ ip: '10.0.0.1' }],
        ports: [
          { name: 'dns', port: 5353, protocol: 'UDP' as const },
          { name: 'dns', port: 5354 },
        ],
      },
    ];
    expect(endpointsFor({ name: 'dns', port: 53, protocol: 'UDP' }, 2, dns)).toEqual([{ ip: '10.0.0.1', port: 5353 }]);
    expect(endpointsFor({ name: 'dns', port: 53 }, 2, dns)).toEqual([{ ip: '10.0.0.1', port: 5354 }]);
    // The lone-port fallback does not cross protocols either.
    const tcpOnly = [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 5354 }] }];
    expect(endpointsFor({ port: 53, protocol: 'UDP' }, 1, tcpOnly)).toEqual([]);
  });
});
