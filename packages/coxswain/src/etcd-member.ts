// One etcd member as a supervised component: `up`'s (the first member, or the only one on a loopback
// cluster) and each `join --etcd-member`'s. The client port serves the components, the peer port
// the other members; with TLS both want certificates signed by the cluster's CA.
import { join } from 'node:path';
import { etcdGoEnv } from '@coxswain/process';
import type { ComponentSpec } from './supervisor';

export interface EtcdMemberSpec {
  name: string;
  dataDir: string;
  clientURL: string;
  peerURL: string;
  /** `name=peerURL` of every member, this one included (read only on the member's first start). */
  initialCluster: string;
  /** new: the first member of a new cluster; existing: a member added to a running one. */
  state: 'new' | 'existing';
  /** The TLS flags (etcdServerTLSFlags or etcdMemberTLSFlags); none: plain. */
  tlsFlags: string[];
  logDir: string;
}

export function etcdMemberSpec(m: EtcdMemberSpec): ComponentSpec {
  return {
    name: 'etcd',
    command: 'etcd',
    args: [
      '--name', m.name, '--data-dir', m.dataDir,
      '--listen-client-urls', m.clientURL, '--advertise-client-urls', m.clientURL,
      '--listen-peer-urls', m.peerURL, '--initial-advertise-peer-urls', m.peerURL,
      '--initial-cluster', m.initialCluster, '--initial-cluster-state', m.state, '--log-level', 'warn',
      // A member back from a partition or a crash asks whether it could win before it campaigns,
      // instead of forcing an election with the higher term it reached alone (as etcd 3.5 does by default).
      '--pre-vote',
      ...m.tlsFlags,
    ],
    env: etcdGoEnv(),
    logFile: join(m.logDir, 'etcd.log'),
  };
}
