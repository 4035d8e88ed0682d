// What a host needs to join the cluster (`coxswain join --server URL --token T`, kubeadm's
// bootstrap-token discovery in miniature): the etcd endpoints its kubelet and proxy use (and, with
// TLS, the minion's own client certificate), the cluster's pod network, and the secret the control
// plane sends the kubelets. Served at JOIN_PATH
// to a bearer token of a bootstrap user (`system:bootstrap:<id>` in the token file), and such a
// token opens nothing else: a leaked join token cannot read or write objects through the API.
import { HttpError } from './status';
import type { User } from './auth';
import { isIP } from 'node:net';
import { objectNameProblem } from '@coxswain/objects';

export const JOIN_PATH = '/coxswain/v1/join';
const BOOTSTRAP_PREFIX = 'system:bootstrap:';

export interface JoinInfo {
  etcdServers: string[];
  clusterCidr?: string;
  portalNet?: string;
  /** The kubelets' bearer secret (docs/kubelet.md), if the control plane uses one. */
  kubeletCredential?: string;
  /** The text of the encryption config Secrets are stored under (a kubelet reads Secrets from etcd). */
  encryptionConfig?: string;
  /**
   * When etcd wants client certificates: the joining minion's own (CN `system:minion:<name>`),
   * issued for this request, and the CA that checks etcd's — PEM texts.
   */
  etcdTLS?: { ca: string; cert: string; key: string };
  /** Asked with `etcdMember`, when etcd uses TLS: the new member's certificate for its address (clients and peers). */
  etcdMemberTLS?: { cert: string; key: string };
}

/** Who asks: the joining minion (`?minion=NAME`), and the address it will serve an etcd member at (`&etcdMember=IP`), if it will. */
export interface JoinRequest {
  minion: string;
  etcdMember?: string;
}

export function joinRequestOf(query: URLSearchParams): JoinRequest {
  const minion = query.get('minion') ?? '';
  const problem = objectNameProblem(minion);
  if (problem) throw new HttpError(400, 'BadRequest', `minion: "${minion}" ${problem} (GET ${JOIN_PATH}?minion=NAME)`);
  const etcdMember = query.get('etcdMember') ?? undefined;
  if (etcdMember !== undefined && !isIP(etcdMember)) throw new HttpError(400, 'BadRequest', `etcdMember: "${etcdMember}" is not an IP address (the address the new member serves at)`);
  return { minion, etcdMember };
}

/** Whether `user` holds a join token. */
export function isBootstrapUser(user: User | undefined): boolean {
  return user?.name.startsWith(BOOTSTRAP_PREFIX) ?? false;
}

/** A bootstrap user may read the join info and nothing else; without authentication (loopback) nothing is served. */
export function authorizeJoin(user: User | undefined, path: string): void {
  if (path === JOIN_PATH) {
    if (!isBootstrapUser(user)) throw new HttpError(403, 'Forbidden', `${JOIN_PATH} is for join tokens (users ${BOOTSTRAP_PREFIX}<id> in the token file)`);
    return;
  }
  if (isBootstrapUser(user)) throw new HttpError(403, 'Forbidden', `user "${user!.name}" holds a join token: it may only GET ${JOIN_PATH}`);
}
