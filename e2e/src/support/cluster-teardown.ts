// The end of every e2e suite that runs a LocalCluster on Docker: stop it, let the next suite take the
// local minions, and report what its minions left in the engine (the suite asserts there is none).
import type { LocalCluster } from '@coxswain/coxswain';
import { existingNetworks, minionContainers } from './docker-cli';

export interface MinionLeftovers {
  containers: string[];
  networks: string[];
}

/** Stops the cluster (if it started), releases the lock, and lists the minions' containers and pod networks still there. */
export async function stopClusterAndListLeftovers(
  cluster: LocalCluster | undefined,
  unlock: (() => void) | undefined,
  minions: readonly string[],
): Promise<MinionLeftovers | undefined> {
  try {
    await cluster?.stop();
  } finally {
    unlock?.();
  }
  if (!cluster) return undefined;
  return listMinionLeftovers(minions);
}

/** The containers and pod networks of these minions in the engine (before a suite: another cluster's). */
export async function listMinionLeftovers(minions: readonly string[]): Promise<MinionLeftovers> {
  const containers = (await Promise.all(minions.map(minionContainers))).flat();
  const networks = await existingNetworks(minions.map((n) => `coxswain-${n}`));
  return { containers, networks };
}
