// What a test's minions may leave in the Docker engine (after a crash of an earlier run, or at the end
// of this one): their labelled containers and their pod networks.
import { LABELS, type DockerRuntime } from '@coxswain/kubelet';

export async function removeMinionLeftovers(docker: DockerRuntime, minions: readonly string[]): Promise<void> {
  for (const minion of minions) {
    for (const c of await docker.listContainers({ [LABELS.minion]: minion })) await docker.removeContainer(c.id);
    await docker.removeNetwork(`coxswain-${minion}`);
  }
}
