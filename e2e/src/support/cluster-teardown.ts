// The two ends of every e2e suite that runs local minions on Docker: before, refuse to start over
// another cluster's minions; after, stop the cluster, let the next suite take the local minions, and
// report what its minions left in the engine (the suite asserts there is none).
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

/**
 * Throws when these minions already have containers or pod networks: they may belong to a developer's
 * running `coxswain up`, so they are named, never removed.
 */
export async function refuseMinionLeftovers(minions: readonly string[]): Promise<void> {
  const { containers, networks } = await listMinionLeftovers(minions);
  const left = [...containers, ...networks];
  if (left.length) {
    throw new Error(`containers or networks of ${minions.join(', ')} exist (${left.join(', ')}); stop the local cluster (npx coxswain down) or remove them`);
  }
}
