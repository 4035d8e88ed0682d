// A client of this project's API built on @kubernetes/client-node (an ES module, hence a script of
// its own): it lists the default namespace's pods, then runs the library's informer on them and
// prints one JSON line per event. On an error (the API server went away) it starts the informer
// again after a second, as the library's documentation asks of its users.
import * as k8s from '@kubernetes/client-node';

const server = process.argv[2];
const kc = new k8s.KubeConfig();
kc.loadFromOptions({
  clusters: [{ name: 'c', server, skipTLSVerify: true }],
  users: [{ name: 'u' }],
  contexts: [{ name: 'c', cluster: 'c', user: 'u', namespace: 'default' }],
  currentContext: 'c',
});
const core = kc.makeApiClient(k8s.CoreV1Api);
const say = (line) => console.log(JSON.stringify(line));

const listed = await core.listNamespacedPod({ namespace: 'default' });
say({ type: 'LIST', kind: listed.kind, names: listed.items.map((p) => p.metadata.name) });

const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/pods', () => core.listNamespacedPod({ namespace: 'default' }));
informer.on('add', (p) => say({ type: 'ADD', name: p.metadata.name }));
informer.on('update', (p) => say({ type: 'UPDATE', name: p.metadata.name, phase: p.status?.phase }));
informer.on('delete', (p) => say({ type: 'DELETE', name: p.metadata.name }));
informer.on('error', (err) => {
  say({ type: 'ERROR', message: String(err?.message ?? err) });
  setTimeout(() => informer.start().catch((e) => say({ type: 'ERROR', message: String(e) })), 1000);
});
await informer.start();
say({ type: 'STARTED' });
