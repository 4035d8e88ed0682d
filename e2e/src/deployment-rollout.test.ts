// A Deployment on the real Docker engine: `coxswain up --minions 2` (the LocalCluster launcher, every
// component a child process of the built binary, the deployment controller among them), the guestbook
// frontend as a Deployment behind a service, rolled from v1 to v2 with `kubecfg apply` while a bounded
// load loop on the host sends requests through the service (its portal IP, caught by the proxies): not one fails. The
// rollout is readiness-gated (an httpGet readiness probe; maxUnavailable 0) and each old pod drains
// before it stops (a preStop sleep while the endpoints controller and the proxies drop it).
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ApiClient } from '@coxswain/client';
import { eventually } from '@coxswain/testing';
import type { Pod, Service } from '@coxswain/objects';
import { startDockerCluster, type DockerCluster } from './support/docker-cluster';
import { Kubecfg, mustSucceed } from './support/kubecfg';

jest.setTimeout(240_000);

const SERVICE_PORT = 18090;

let env: DockerCluster | undefined;
let tmp: string;
let api: ApiClient;
let k: Kubecfg;

beforeAll(async () => {
  env = await startDockerCluster({ name: 'deploy', minions: 2, port: 18480, etcdPort: 12679, healthzPortBase: 18451 });
  ({ api, kubecfg: k, tmp } = env);
}, 11 * 60_000);

afterAll(async () => {
  if (env) expect(await env.stop()).toEqual({ containers: [], networks: [] });
});

const deployment = (image: string) => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: frontend
spec:
  replicas: 2
  minReadySeconds: 1
  progressDeadlineSeconds: 120
  selector:
    matchLabels: {name: frontend}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 0, maxSurge: 1}
  template:
    metadata:
      labels: {name: frontend}
    spec:
      containers:
      - name: php-redis
        image: ${image}
        ports: [{containerPort: 80}]
        readinessProbe:
          httpGet: {path: /index.html, port: 80}
          periodSeconds: 1
        lifecycle:
          preStop:
            exec: {command: [sleep, '4']}
`;

const service = JSON.stringify({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'frontend' },
  spec: { selector: { name: 'frontend' }, ports: [{ port: SERVICE_PORT, targetPort: 80 }] },
});

/** One request through the service at an address of it: the version it answered with, or the error. */
async function hit(address: string): Promise<string> {
  const res = await fetch(`http://${address}:${SERVICE_PORT}/index.html`, { signal: AbortSignal.timeout(3000) });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
  return /frontend v2/.test(body) ? 'v2' : 'v1';
}

it('rolls the guestbook frontend from v1 to v2 through the service with zero failed requests', async () => {
  const must = (...args: string[]) => mustSucceed(k, ...args);
  const file = (name: string, text: string) => {
    const f = path.join(tmp, name);
    writeFileSync(f, text);
    return f;
  };
  await must('apply', '-f', file('service.json', service));
  const v1 = await must('apply', '-f', file('v1.yaml', deployment('coxswain/guestbook:v1')), '--wait', '--timeout', '120s');
  expect(v1).toContain('deployment "frontend" successfully rolled out');
  // The host reaches the service at its portal IP (the proxies' OUTPUT rules catch it).
  const portalIP = (await api.get<Service>('services', 'frontend')).spec.clusterIP;
  expect(portalIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  const addresses = [portalIP!];
  // The service serves v1 before the rollout starts.
  await eventually(async () => (await Promise.all(addresses.map(hit))).every((v) => v === 'v1'), 30_000, 'v1 through the portal IP', 250);

  // A bounded load loop: sequential requests through the service's portal IP until the rollout is done
  // (at most 3 minutes, at most 20,000 requests).
  let stop = false;
  const seen = { v1: 0, v2: 0 };
  const failures: string[] = [];
  const loop = (async () => {
    const until = Date.now() + 180_000;
    for (let i = 0; !stop && i < 20_000 && Date.now() < until; i++) {
      const address = addresses[i % addresses.length];
      try {
        seen[(await hit(address)) as 'v1' | 'v2']++;
      } catch (err) {
        failures.push(`${address}: ${(err as Error).message}`);
      }
    }
  })();
  const v2 = await must('apply', '-f', file('v2.yaml', deployment('coxswain/guestbook:v2')));
  expect(v2).toContain('deployment');
  await must('rollout', 'status', 'deployment/frontend', '--timeout', '150s');
  // Requests keep flowing a moment after the last old pod went, then the loop stops.
  const after = seen.v2;
  await eventually(() => seen.v2 >= after + 20, 30_000, 'v2 answering after the rollout', 50);
  stop = true;
  await loop;
  console.log(`deployment e2e: ${seen.v1} v1 + ${seen.v2} v2 answers, ${failures.length} failed`);
  expect(failures).toEqual([]);
  expect(seen.v1).toBeGreaterThan(0);
  expect(seen.v2).toBeGreaterThan(20);
  const pods = (await api.list<Pod>('pods', { labelSelector: 'name=frontend' })).items;
  expect(pods.map((p) => p.spec.containers[0].image)).toEqual(['coxswain/guestbook:v2', 'coxswain/guestbook:v2']);
  const history = await must('rollout', 'history', 'deployment/frontend');
  expect(history).toMatch(/1\s+<none>\n\s*2\s+<none>/);
});
