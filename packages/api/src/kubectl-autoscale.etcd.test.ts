// Stock kubectl 1.32's `kubectl autoscale deployment` against the API server on a real etcd: what it
// sends (an autoscaling HorizontalPodAutoscaler, as protobuf) is stored as our autoscaling/v1 HPA
// targeting the Deployment, and `kubectl get hpa` shows it.
import { ApiFixture, startApiFixture } from './testing/api-fixture';
import { kubeconfigFor, kubectlRunner } from '@coxswain/testing';
import { call } from './testing/wire';

let f: ApiFixture;
let kubectl: (...args: string[]) => Promise<string>;
beforeAll(async () => {
  f = await startApiFixture();
  kubectl = kubectlRunner(kubeconfigFor(f.url));
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'app:1', resources: { requests: { cpu: '100m' } } }] } } },
  };
  expect((await call(f.url, 'POST', '/apis/apps/v1/namespaces/default/deployments', deployment)).status).toBe(201);
}, 60_000);
afterAll(async () => f?.stop(), 30_000);

it('kubectl autoscale deployment creates an HPA on the Deployment through its scale subresource', async () => {
  expect(await kubectl('autoscale', 'deployment', 'web', '--min=1', '--max=4', '--cpu-percent=50')).toBe('horizontalpodautoscaler.autoscaling/web autoscaled');
  const hpa = (await call(f.url, 'GET', '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/web')).json;
  expect(hpa.spec).toEqual({ scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 4, targetCPUUtilizationPercentage: 50 });
  expect(await kubectl('get', 'hpa')).toMatch(/^web\s+Deployment\/web\s+\S+\/50%\s+1\s+4\s+\d+/m);
}, 60_000);
