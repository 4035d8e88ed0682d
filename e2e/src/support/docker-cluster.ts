// The two ends of an e2e suite that runs `coxswain up`'s launcher (LocalCluster) on the Docker
// engine: take the local-minions lock, refuse another cluster's minions, start the cluster in a temp
// dir on the suite's ports, and hand back an API client and kubecfg on its config; at the end, stop
// it, release the lock, list what its minions left in the engine, and keep the logs unless all is clean.
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApiClient } from '@coxswain/client';
import { LocalCluster, minionLayout, type LocalClusterOptions } from '@coxswain/coxswain';
import { eventually } from '@coxswain/testing';
import { buildCoxswain, ROOT } from './coxswain-binary';
import { ensureImages } from './images';
import { kubecfgFor, type Kubecfg } from './kubecfg';
import { lockLocalMinions } from './local-minions-lock';
import { refuseMinionLeftovers, stopClusterAndListLeftovers, type MinionLeftovers } from './cluster-teardown';

export interface DockerClusterOptions {
  /** Names the temp dir and the log line. */
  name: string;
  minions: number;
  port: number;
  etcdPort: number;
  healthzPortBase: number;
  /** Anything else for the launcher (grace periods, windows). */
  options?: Partial<LocalClusterOptions>;
}

export interface DockerCluster {
  cluster: LocalCluster;
  api: ApiClient;
  kubecfg: Kubecfg;
  /** The suite's temp dir (the data dir is `data/` in it). */
  tmp: string;
  /** Stops everything; the minions' containers and networks still in the engine (the suite asserts none). */
  stop(): Promise<MinionLeftovers>;
}

export async function startDockerCluster(o: DockerClusterOptions): Promise<DockerCluster> {
  const minions = Array.from({ length: o.minions }, (_, i) => minionLayout(i + 1).name);
  const unlock = await lockLocalMinions();
  let cluster: LocalCluster | undefined;
  const tmp = mkdtempSync(path.join(os.tmpdir(), `coxswain-${o.name}-`));
  const stop = async (): Promise<MinionLeftovers> => {
    const left = (await stopClusterAndListLeftovers(cluster, unlock, minions)) ?? { containers: [], networks: [] };
    if (!left.containers.length && !left.networks.length && !process.env.COXSWAIN_E2E_KEEP) rmSync(tmp, { recursive: true, force: true });
    else console.log(`${o.name} e2e: logs kept in ${path.join(tmp, 'data', 'logs')}`);
    return left;
  };
  try {
    await Promise.all([ensureImages(), buildCoxswain()]);
    await refuseMinionLeftovers(minions);
    const config = path.join(tmp, 'config.json');
    cluster = new LocalCluster({
      minions: o.minions,
      port: o.port,
      dataDir: path.join(tmp, 'data'),
      etcdPort: o.etcdPort,
      runtime: 'docker',
      cliConfigPath: config,
      healthzPortBase: o.healthzPortBase,
      // Components log to their files in the data dir (the logger is silent under jest otherwise).
      env: { JEST_WORKER_ID: '', COXSWAIN_LOG_LEVEL: 'info' },
      ...o.options,
    });
    await cluster.start();
    const api = new ApiClient({ server: cluster.apiUrl, version: 'v1', timeoutMs: 10_000 });
    await eventually(async () => (await api.list('minions')).items.length === o.minions, 30_000, `${o.minions} minions registered`, 250);
    return { cluster, api, kubecfg: kubecfgFor(config, ROOT), tmp, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
