// The membership of an etcd cluster, as `coxswain join --etcd-member` and `leave` change it (etcd's
// runtime reconfiguration: a member is added before it first starts, with the peer URL it will
// serve, and removed before its data is thrown away). Each call dials the cluster for itself: these
// are one-off steps of a host joining or leaving, not part of a long-running client.
import type { Etcd3 } from 'etcd3';
import type { EtcdTLS } from '@coxswain/process';
import { realClock, type Clock } from '@coxswain/objects';
import { createEtcdClient } from './etcd-client';

export interface EtcdMember {
  id: string;
  /** Empty until the member has started for the first time. */
  name: string;
  peerURLs: string[];
  /** Empty until the member has started for the first time. */
  clientURLs: string[];
}

async function withClient<T>(endpoints: string[], tls: EtcdTLS | undefined, call: (client: Etcd3) => Promise<T>): Promise<T> {
  const client = createEtcdClient(endpoints, { tls, callTimeoutMs: 10_000 });
  try {
    return await call(client);
  } finally {
    client.close();
  }
}

export function etcdMembers(endpoints: string[], tls?: EtcdTLS): Promise<EtcdMember[]> {
  return withClient(endpoints, tls, async (client) => (await client.cluster.memberList({})).members.map(memberOf));
}

/**
 * Adds a member that will serve `peerURL`, unless one with that peer URL is there already (a join
 * that stopped before its member first started); returns the members, the new one included.
 * One member joins at a time: while another added member has not started, the new member could not
 * be told its name (its --initial-cluster must list every member by name), and etcd refuses to
 * add one that would leave too few started members for a quorum ("unhealthy cluster"). Both are
 * waited out, up to `timeoutMs`.
 */
export function addEtcdMember(endpoints: string[], peerURL: string, tls?: EtcdTLS, clock: Clock = realClock, timeoutMs = 120_000): Promise<EtcdMember[]> {
  return withClient(endpoints, tls, (client) =>
    untilHealthy(clock, timeoutMs, `add the member ${peerURL}`, async () => {
      const members = (await client.cluster.memberList({})).members.map(memberOf);
      if (members.some((m) => m.peerURLs.includes(peerURL))) return members;
      const starting = members.find((m) => !m.name);
      if (starting) return { waitFor: `the member ${starting.peerURLs[0]} was added but has not started` };
      return (await client.cluster.memberAdd({ peerURLs: [peerURL] })).members.map(memberOf);
    }),
  );
}

/**
 * Removes the member serving `peerURL`; false when there is none. etcd refuses while the members
 * left would not all have been connected long enough to count for a quorum ("unhealthy cluster",
 * e.g. one that just came back): that is waited out, up to `timeoutMs`.
 */
export function removeEtcdMember(endpoints: string[], peerURL: string, tls?: EtcdTLS, clock: Clock = realClock, timeoutMs = 120_000): Promise<boolean> {
  return withClient(endpoints, tls, (client) =>
    untilHealthy(clock, timeoutMs, `remove the member ${peerURL}`, async () => {
      const member = (await client.cluster.memberList({})).members.find((m) => m.peerURLs.includes(peerURL));
      if (!member) return false;
      await client.cluster.memberRemove({ ID: member.ID });
      return true;
    }),
  );
}

/**
 * Runs `step` until it returns a result: again after a second when it asks to wait, or when etcd
 * refuses the change as leaving the cluster unhealthy; any other error ends it.
 */
async function untilHealthy<T>(clock: Clock, timeoutMs: number, what: string, step: () => Promise<T | { waitFor: string }>): Promise<T> {
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    let why: string;
    try {
      const result = await step();
      if (!isWait(result)) return result;
      why = result.waitFor;
    } catch (e) {
      if (!/unhealthy cluster/.test((e as Error).message)) throw e;
      why = 'the cluster was unhealthy';
    }
    if (clock.now() > deadline) throw new Error(`etcd: could not ${what} within ${timeoutMs / 1000} s: ${why}`);
    await clock.sleep(1000);
  }
}

function isWait(r: unknown): r is { waitFor: string } {
  return typeof r === 'object' && r !== null && 'waitFor' in r;
}

function memberOf(m: { ID: string; name: string; peerURLs: string[]; clientURLs: string[] }): EtcdMember {
  return { id: m.ID, name: m.name, peerURLs: m.peerURLs, clientURLs: m.clientURLs };
}
