// Which Docker container is a pod's container: found by labels (so a restarted kubelet finds them
// too), the newest attempt first. Logs read the newest (or the previous); exec and attach need the
// newest running.
import { restartCountOf } from './pod-status';
import { ContainerRuntime, LABELS, RuntimeContainer } from './runtime';

export async function attemptsOf(runtime: ContainerRuntime, minion: string, namespace: string, pod: string, container: string): Promise<RuntimeContainer[]> {
  const found = await runtime.listContainers({
    [LABELS.minion]: minion,
    [LABELS.namespace]: namespace,
    [LABELS.podName]: pod,
    [LABELS.container]: container,
  });
  return found.sort((a, b) => restartCountOf(b) - restartCountOf(a) || b.createdAt.localeCompare(a.createdAt));
}
