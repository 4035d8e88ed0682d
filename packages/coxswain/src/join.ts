// `coxswain join --server URL --token T --address HOST_IP`: this host becomes a minion of a cluster
// whose control plane runs elsewhere (kubeadm join / k3s agent in miniature). The join token buys
// the join info from the API server (api/join-info.ts: etcd endpoints and this minion's etcd client
// certificate, pod and portal networks, the kubelets' secret) and nothing else; then a kubelet and a proxy run here, supervised as
// `coxswain up` supervises its components. The proxy keeps this host's routes to every other
// minion's pods (--pod-routes). `coxswain leave` drains the minion and removes it.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createLogger, etcdClientFlags, etcdMemberTLSFlags, type EtcdTLS, type Logger } from '@coxswain/process';
import { addEtcdMember, etcdMembers, removeEtcdMember } from '@coxswain/store';
import { NotFoundError, realClock, UnavailableError, type Clock, type Minion, type ObjectStore, type Pod } from '@coxswain/objects';
import { openRegistry } from '@coxswain/registry';
import { whileUnavailable } from '@coxswain/client';
import { dockerConnection } from '@coxswain/kubelet';
import type { JoinInfo } from '@coxswain/api';
import { JOIN_PATH } from '@coxswain/api';
import { ProcessGroup, stopRunningGroup, type ProcessGroupOptions } from './process-group';
import { etcdMemberSpec } from './etcd-member';

export interface JoinOptions extends ProcessGroupOptions {
  server: string;
  token: string;
  /** This host's address, on the link the other minions share. */
  address: string;
  minion: string;
  dataDir: string;
  runtime: 'docker' | 'memory';
  dockerEndpoint?: string;
  /** A pod subnet to claim instead of the next free one. */
  podCidr?: string;
  /** Also run a member of the cluster's etcd here (kubeadm's stacked etcd), on etcdPort and the next port. */
  etcdMember?: boolean;
  /** Default 2379 (peers on 2380). */
  etcdPort?: number;
  /** How long to keep asking an API server that cannot be reached (or answers 502-504) for the join info. Default 60 s. */
  joinInfoTimeoutMs?: number;
  clock?: Clock;
  logger?: Logger;
}

/** What `leave` needs of a joined host, kept in its data dir. */
interface JoinRecord {
  server: string;
  minion: string;
  address: string;
  etcdServers: string[];
  /** This minion's etcd certificate files, when etcd wants client certificates. */
  etcdTLS?: EtcdTLS;
  /** The etcd member this host runs, if it does: `leave` removes it from the cluster. */
  etcdMember?: { clientURL: string; peerURL: string };
  dockerEndpoint?: string;
}

const RECORD = 'join.json';

/** `--data-dir`'s default for join and leave: ~/.coxswain/join. */
export function defaultJoinDataDir(): string {
  return join(homedir(), '.coxswain', 'join');
}
const PID_FILE = 'join.pid';

/** Answers that mean the API server is (re)starting or its etcd is electing a leader: worth asking again. */
const TRANSIENT_STATUS = new Set([502, 503, 504]);

/**
 * The join info, or an Error a user can act on (a refused token says so). An API server that cannot
 * be reached or answers 502-504 is an UnavailableError: `JoinedHost.start` asks again for a while.
 */
export async function fetchJoinInfo(server: string, token: string, minion: string, etcdMember?: string): Promise<JoinInfo> {
  const url = new URL(JOIN_PATH, server);
  url.searchParams.set('minion', minion);
  if (etcdMember !== undefined) url.searchParams.set('etcdMember', etcdMember);
  let res: Response;
  try {
    res = await fetch(url, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
  } catch (e) {
    const cause = (e as Error).cause as NodeJS.ErrnoException | undefined;
    throw new UnavailableError(`cannot reach the API server at ${server}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
  }
  const body = (await res.json().catch(() => ({}))) as JoinInfo & { message?: string };
  if (res.status === 401 || res.status === 403) throw new Error(`the API server at ${server} refused the join token (${res.status}): ${body.message ?? res.statusText}`);
  if (TRANSIENT_STATUS.has(res.status)) throw new UnavailableError(`the API server at ${server} answered ${res.status} for ${JOIN_PATH}: ${body.message ?? res.statusText}`);
  if (!res.ok) throw new Error(`the API server at ${server} answered ${res.status} for ${JOIN_PATH}: ${body.message ?? res.statusText}`);
  if (!Array.isArray(body.etcdServers) || body.etcdServers.length === 0) throw new Error(`the API server at ${server} sent join info without etcd servers`);
  return body;
}

/**
 * fetchJoinInfo, asked again (with backoff, up to `joinInfoTimeoutMs`) while the API server cannot be
 * reached or is unavailable: a host may be joined while the API server restarts.
 */
export function askForJoinInfo(o: Pick<JoinOptions, 'server' | 'token' | 'minion' | 'etcdMember' | 'address' | 'joinInfoTimeoutMs' | 'clock'>, log: Logger): Promise<JoinInfo> {
  const ask = () =>
    fetchJoinInfo(o.server, o.token, o.minion, o.etcdMember ? o.address : undefined).catch((e: Error) => {
      if (e instanceof UnavailableError) log.warn({ err: e.message }, 'join info not available yet; asking again');
      throw e;
    });
  return whileUnavailable(ask, { timeoutMs: o.joinInfoTimeoutMs, clock: o.clock });
}

export class JoinedHost extends ProcessGroup {
  constructor(readonly opts: JoinOptions) {
    super(join(opts.dataDir, 'logs'), opts, opts.logger ?? createLogger('join'));
  }

  /** Where the join info's certificates are written. */
  private get pkiDir(): string {
    return join(this.opts.dataDir, 'pki');
  }

  /** Asks for the join info, then starts the kubelet and the proxy and waits until both are healthy. Returns the minion's pod subnet. */
  async start(): Promise<string> {
    const o = this.opts;
    if (o.dockerEndpoint) dockerConnection(o.dockerEndpoint); // a bad flag fails here, before anything starts
    const info = await askForJoinInfo(o, this.log);
    mkdirSync(this.logDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(o.dataDir, PID_FILE), String(process.pid));
    const etcdTLS = info.etcdTLS && writeEtcdTLS(this.pkiDir, info.etcdTLS);
    const member = o.etcdMember ? await this.startEtcdMember(info, etcdTLS) : undefined;
    // This host's member first: the others are the way out when it is down.
    const etcdServers = member ? [member.clientURL, ...(await etcdMembers(info.etcdServers, etcdTLS)).flatMap((m) => m.clientURLs).filter((u) => u !== member.clientURL)] : info.etcdServers;
    const record: JoinRecord = { server: o.server, minion: o.minion, address: o.address, etcdServers, etcdTLS, etcdMember: member, dockerEndpoint: o.dockerEndpoint };
    writeFileSync(join(o.dataDir, RECORD), JSON.stringify(record, null, 2) + '\n', { mode: 0o600 });
    const etcd = etcdClientFlags(etcdServers, etcdTLS);
    const credential: string[] = [];
    if (info.kubeletCredential) {
      const file = join(o.dataDir, 'kubelet-credential');
      writeFileSync(file, info.kubeletCredential + '\n', { mode: 0o600 });
      credential.push('--kubelet-credential-file', file);
    }
    if (info.encryptionConfig) {
      const file = join(o.dataDir, 'encryption-config.yaml');
      writeFileSync(file, info.encryptionConfig, { mode: 0o600 });
      credential.push('--encryption-provider-config', file);
    }
    const kubelet = this.launch(
      this.nodeSpec('kubelet', [
        'kubelet', '--minion', o.minion, '--address', o.address, ...etcd, '--runtime', o.runtime,
        '--root-dir', join(o.dataDir, 'kubelet'), ...credential,
        ...(o.podCidr ? ['--pod-cidr', o.podCidr] : []),
        ...(o.dockerEndpoint ? ['--docker-endpoint', o.dockerEndpoint] : []),
      ]),
    );
    if (info.portalNet !== undefined) await this.notePortalBridge();
    const proxy = this.launch(
      this.nodeSpec('proxy', [
        'proxy', '--minion', o.minion, ...etcd, '--pod-routes',
        ...(info.clusterCidr ? ['--cluster-cidr', info.clusterCidr] : []),
        '--portal-net', info.portalNet ?? '',
      ]),
    );
    await this.waitHealthy(kubelet, `http://${o.address}:10250/healthz`);
    await this.waitHealthy(proxy, `http://${o.address}:10249/healthz`);
    const store = openRegistry(etcdServers, { tls: etcdTLS });
    try {
      return (await whileUnavailable(() => store.get<Minion>('minions', undefined, o.minion), { clock: o.clock })).spec?.podCIDR ?? '';
    } finally {
      await store.close();
    }
  }

  /**
   * Adds this host's member to the cluster's etcd (etcd's runtime reconfiguration: added first,
   * then started with the members it joins) and waits until it serves. A member that ran here
   * before starts from its data and catches up; the cluster already knows it.
   */
  private async startEtcdMember(info: JoinInfo, etcdTLS: EtcdTLS | undefined): Promise<{ clientURL: string; peerURL: string }> {
    const o = this.opts;
    const scheme = etcdTLS ? 'https' : 'http';
    const port = o.etcdPort ?? 2379;
    const clientURL = `${scheme}://${o.address}:${port}`;
    const peerURL = `${scheme}://${o.address}:${port + 1}`;
    const dataDir = join(o.dataDir, 'etcd');
    // Checked before the member is added: an added member that never starts costs the cluster a vote.
    if (etcdTLS && !info.etcdMemberTLS) throw new Error(`the API server at ${o.server} sent no etcd member certificate: its etcd uses TLS, and this host's member needs one`);
    const cert = info.etcdMemberTLS && writeCertificate(this.pkiDir, 'etcd-member', info.etcdMemberTLS);
    const tlsFlags = etcdTLS && cert ? etcdMemberTLSFlags(etcdTLS.caFile, cert) : [];
    let initialCluster = `${o.minion}=${peerURL}`;
    if (!existsSync(join(dataDir, 'member'))) {
      const members = await addEtcdMember(info.etcdServers, peerURL, etcdTLS);
      initialCluster = members.map((m) => `${m.peerURLs.includes(peerURL) ? o.minion : m.name}=${m.peerURLs[0]}`).join(',');
    }
    const etcd = this.launch(etcdMemberSpec({ name: o.minion, dataDir, clientURL, peerURL, initialCluster, state: 'existing', tlsFlags, logDir: this.logDir }));
    await this.waitHealthy(etcd, `${clientURL}/health`, etcdTLS);
    this.log.info({ clientURL, peerURL }, 'etcd member serving');
    return { clientURL, peerURL };
  }

  /** Stops the proxy (its routes and rules go with it) and the kubelet, and removes this minion's containers. */
  async stop(): Promise<void> {
    await Promise.all(this.components.map((c) => c.stop()));
    if (this.opts.runtime === 'docker' && this.components.length) await this.removeMinionContainers([this.opts.minion], this.opts.dockerEndpoint);
    await this.removePortalBridgeIfMade();
    rmSync(join(this.opts.dataDir, PID_FILE), { force: true });
  }
}

export interface LeaveReport {
  minion: string;
  /** Pods that were bound to the minion, deleted so their controllers place them elsewhere. */
  drained: number;
}

/**
 * `coxswain leave`: cordons the joined minion, deletes its pods (their controllers recreate them on
 * other minions), stops `coxswain join` here, and removes the Minion — which frees its pod subnet,
 * and every other host's proxy drops its route to it.
 */
export async function leave(dataDir: string, log: Logger = createLogger('leave')): Promise<LeaveReport> {
  let record: JoinRecord;
  try {
    record = JSON.parse(readFileSync(join(dataDir, RECORD), 'utf8')) as JoinRecord;
  } catch (e) {
    throw new Error(`this host has not joined a cluster from ${dataDir} (no ${RECORD}: ${(e as Error).message})`);
  }
  // The other members: this host's own stops with `join`.
  const member = record.etcdMember;
  const remote = member ? record.etcdServers.filter((u) => u !== member.clientURL) : record.etcdServers;
  const store = openRegistry(remote, { tls: record.etcdTLS });
  try {
    // A minion already gone (removed by hand, or a leave cut short) is drained and removed anyway.
    // Each store call rides out a leader election (whileUnavailable): the member removal below
    // causes one when this host's member led, and an earlier change to the cluster may still be settling.
    await whileUnavailable(() => store.guaranteedUpdate<Minion>('minions', undefined, record.minion, (m) => ({ ...m, spec: { ...m.spec, unschedulable: true } }))).catch(unlessNotFound);
    const drained = await drain(store, record.minion);
    log.info({ minion: record.minion, pods: drained }, 'drained');
    if (member) {
      // Removed before it stops (etcd's order): the cluster's quorum is then counted without it,
      // so even a cluster of two keeps one. Removed, the member exits by itself.
      await removeEtcdMember(remote, member.peerURL, record.etcdTLS);
      log.info({ member: member.peerURL }, 'etcd member removed');
    }
    await stopRunningGroup(dataDir, PID_FILE, 'coxswain join');
    if (member) rmSync(join(dataDir, 'etcd'), { recursive: true, force: true });
    await whileUnavailable(() => store.delete('minions', undefined, record.minion)).catch(unlessNotFound);
    rmSync(join(dataDir, RECORD), { force: true });
    return { minion: record.minion, drained };
  } finally {
    await store.close();
  }
}

/** The certificate texts of the join info as the three `--etcd-*` files, in `dir` (0700, files 0600). */
function writeEtcdTLS(dir: string, pem: NonNullable<JoinInfo['etcdTLS']>): EtcdTLS {
  return { caFile: writePrivate(dir, 'ca.crt', pem.ca), ...writeCertificate(dir, 'etcd-client', pem) };
}

/** `<name>.crt` and `<name>.key` in `dir`. */
function writeCertificate(dir: string, name: string, pem: { cert: string; key: string }): { certFile: string; keyFile: string } {
  return { certFile: writePrivate(dir, `${name}.crt`, pem.cert), keyFile: writePrivate(dir, `${name}.key`, pem.key) };
}

function writePrivate(dir: string, name: string, text: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, name), text, { mode: 0o600 });
  return join(dir, name);
}

function unlessNotFound(e: unknown): void {
  if (!(e instanceof NotFoundError)) throw e;
}

/** Deletes every pod bound to `minion` and waits until none is left; returns how many there were. */
async function drain(store: ObjectStore, minion: string): Promise<number> {
  const bound = async () => (await whileUnavailable(() => store.list<Pod>('pods', { fieldSelector: `spec.nodeName=${minion}` }))).items;
  const pods = await bound();
  await Promise.all(pods.map((p) => whileUnavailable(() => store.delete('pods', p.metadata.namespace, p.metadata.name)).catch(() => undefined)));
  const deadline = Date.now() + 60_000;
  while ((await bound()).length > 0) {
    if (Date.now() > deadline) throw new Error(`the pods of ${minion} were not all deleted within 60 s`);
    await realClock.sleep(200);
  }
  return pods.length;
}
