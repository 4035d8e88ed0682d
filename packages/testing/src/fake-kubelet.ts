// A stand-in for a kubelet's /stats/summary (Kubernetes' summary API shape, as the kubelet serves it)
// for tests of the metrics pipeline and what reads it: fixed figures per pod, answered only with the
// control plane's bearer secret when one is given. close() makes the kubelet stop answering.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

const MiB = 2 ** 20;
const TIME = '2026-12-05T10:00:00Z';

/** A minion's summary: 1.5 cores and 1 GiB for the node; per pod one container `main`, no CPU rate when `cpu` is left out. */
export function summaryOf(minion: string, pods: Array<{ name: string; cpu?: number; mem: number }>) {
  return {
    node: { nodeName: minion, cpu: { time: TIME, usageNanoCores: 1.5e9, usageCoreNanoSeconds: 1e12 }, memory: { time: TIME, workingSetBytes: 1024 * MiB } },
    pods: pods.map((p) => ({
      podRef: { name: p.name, namespace: 'default', uid: `uid-${p.name}` },
      containers: [{ name: 'main', cpu: { time: TIME, usageNanoCores: p.cpu, usageCoreNanoSeconds: 1e9 }, memory: { time: TIME, workingSetBytes: p.mem, usageBytes: p.mem, rssBytes: p.mem } }],
    })),
  };
}

export interface FakeKubelet {
  url: string;
  close(): Promise<void>;
}

export async function startFakeKubelet(summary: unknown, credential?: string): Promise<FakeKubelet> {
  const server = http.createServer((req, res) => {
    if (credential !== undefined && req.headers.authorization !== `Bearer ${credential}`) return void res.writeHead(401).end();
    // The whole summary, whatever view is asked for (`?only_usage=true`): as a kubelet that knows no views.
    if (new URL(req.url ?? '/', 'http://kubelet').pathname !== '/stats/summary') return void res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(summary));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((r) => {
        // The scraper's kept-alive connection would keep an idle server open.
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
