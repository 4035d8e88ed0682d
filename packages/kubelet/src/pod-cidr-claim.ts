// A kubelet's pod subnet, settled before anything is built on it (the Docker network, the
// gateway the proxy serves on). The Minion holds it: a restarted kubelet keeps the one its Minion
// already has, and a new Minion is registered with the subnet asked for (--pod-cidr) or, without
// one, handed the next free subnet of the cluster CIDR by the registry's allocator — the API
// server's --cluster-cidr, stored in etcd. A subnet that is taken or outside the range is the
// registry's 422, which ends the start with that message and nothing registered. etcd being away
// only delays it.
import { Backoff } from '@coxswain/client';
import { InvalidError, MINION_REGISTERING_REASON, NotFoundError, type Clock, type Minion, type ObjectStore, realClock } from '@coxswain/objects';
import { PodCidrAllocator } from '@coxswain/registry';
import type { Logger } from '@coxswain/process';
import type { Storage } from '@coxswain/objects';

export interface PodCidrClaim {
  store: ObjectStore;
  storage: Storage;
  minion: string;
  address: string;
  /** --pod-cidr, if given. */
  requested?: string;
  /** Used as if requested when no cluster CIDR is stored (a bare etcd with no API server, as in tests). */
  fallback?: string;
  clock?: Clock;
  signal?: AbortSignal;
  logger: Logger;
}

export async function claimPodCidr(c: PodCidrClaim): Promise<string> {
  const backoff = new Backoff({ initialMs: 500, maxMs: 5_000, clock: c.clock ?? realClock });
  let waitedForRange = false;
  for (;;) {
    try {
      const held = await heldBy(c.store, c.minion);
      if (held) {
        if (c.requested && c.requested !== held) {
          throw new Error(`minion ${c.minion} already holds pod CIDR ${held}; --pod-cidr ${c.requested} cannot replace it (remove the minion first, or drop the flag)`);
        }
        return held;
      }
      let requested = c.requested;
      if (!requested && !(await PodCidrAllocator.storedRange(c.storage))) {
        if (c.fallback) requested = c.fallback;
        else {
          if (!waitedForRange) c.logger.warn('no cluster CIDR stored yet (the API server writes it at start): waiting; or pass --pod-cidr');
          waitedForRange = true;
          await backoff.wait(c.signal);
          continue;
        }
      }
      const created = await c.store.create<Minion>(registering(c.minion, c.address, requested));
      if (!created.spec?.podCIDR) throw new Error(`minion ${c.minion} registered without a pod CIDR`);
      return created.spec.podCIDR;
    } catch (err) {
      if (err instanceof InvalidError || !(err instanceof Error) || !isRetryable(err) || c.signal?.aborted) throw err;
      c.logger.warn({ err: err.message }, 'could not register the minion yet; retrying');
      await backoff.wait(c.signal);
    }
  }
}

async function heldBy(store: ObjectStore, minion: string): Promise<string | undefined> {
  try {
    return (await store.get<Minion>('minions', undefined, minion)).spec?.podCIDR || undefined;
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

/** Transient: etcd away, or a race with another writer of the Minion (the next pass reads it). */
function isRetryable(err: Error): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 503 || code === 409 || code === 500;
}

/** The Minion as first written: not Ready until the heartbeat says so. */
function registering(name: string, address: string, podCIDR: string | undefined): Minion {
  return {
    apiVersion: 'v1',
    kind: 'Minion',
    metadata: { name },
    spec: podCIDR ? { podCIDR } : {},
    status: {
      addresses: [{ type: 'InternalIP', address }],
      conditions: [{ type: 'Ready', status: 'Unknown', reason: MINION_REGISTERING_REASON, message: 'kubelet is registering' }],
    },
  };
}
