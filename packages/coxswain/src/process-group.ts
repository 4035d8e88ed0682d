// A group of supervised components on this host — what `coxswain up` and `coxswain join` each run:
// launch a component of the coxswain binary (or any command), wait until its health URL answers
// (failing at once, with the end of its log, when it exits), stop the group, and find a running
// group from its pid file (`down`, `leave`).
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { get, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import { realClock } from '@coxswain/objects';
import { SERVER_NODE_FLAGS, type EtcdTLS, type Logger } from '@coxswain/process';
import { DockerRuntime, dockerConnection, LABELS } from '@coxswain/kubelet';
import { hasPortalInterface, removePortalRoute } from '@coxswain/proxy';
import { ComponentSpec, lastLines, SupervisedProcess } from './supervisor';

/** A component that did not come up: its name, why, and the end of its log. */
export class ComponentStartError extends Error {
  constructor(
    readonly component: string,
    readonly reason: string,
    readonly logFile: string,
    readonly logTail: string[],
  ) {
    super(`${component} ${reason} (log: ${logFile})`);
  }
}

/** Lines a user sees for a failed component's log: the last 10. */
export const LOG_TAIL_LINES = 10;

// The built binary beside this file; when this file runs from its TypeScript source (jest), the
// package's dist build of it.
const MAIN = existsSync(join(__dirname, 'main.js')) ? join(__dirname, 'main.js') : join(__dirname, '..', 'dist', 'main.js');

export interface ProcessGroupOptions {
  /** Extra environment for every component. */
  env?: NodeJS.ProcessEnv;
  /** How long one component may take to become healthy; default 60 s. */
  componentTimeoutMs?: number;
  /** Also copy every component's output here (`-v`). */
  echo?: NodeJS.WritableStream;
}

export class ProcessGroup {
  readonly components: SupervisedProcess[] = [];
  /** The proxies route the portal network to a bridge; the group removes it on stop when its proxies made it. */
  private madePortalBridge = false;

  constructor(
    readonly logDir: string,
    private readonly groupOpts: ProcessGroupOptions,
    protected readonly log: Logger,
  ) {}

  component(name: string): SupervisedProcess | undefined {
    return this.components.find((c) => c.spec.name === name);
  }

  /** A component of the coxswain binary: `coxswain <args>`, logging to <logDir>/<name>.log. */
  protected nodeSpec(name: string, args: string[]): ComponentSpec {
    return { name, command: process.execPath, args: [...SERVER_NODE_FLAGS, MAIN, ...args], logFile: join(this.logDir, `${name}.log`), env: this.groupOpts.env };
  }

  protected launch(spec: ComponentSpec): SupervisedProcess {
    const proc = new SupervisedProcess(spec, { logger: this.log, echo: this.groupOpts.echo });
    this.components.push(proc);
    proc.start();
    this.log.info({ name: spec.name, pid: proc.pid }, 'started');
    return proc;
  }

  /** Waits until `url` answers 200 (https: with `tls`' client certificate); fails at once when the component exits, else after the timeout. */
  protected async waitHealthy(proc: SupervisedProcess, url: string, tls?: EtcdTLS): Promise<void> {
    const timeoutMs = this.groupOpts.componentTimeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    const fail = (reason: string) => new ComponentStartError(proc.spec.name, reason, proc.spec.logFile, lastLines(proc.spec.logFile, LOG_TAIL_LINES));
    for (;;) {
      const exit = proc.lastExit;
      if (exit) {
        throw fail(exit.error ? `could not be started: ${exit.error}` : `exited during start-up (${exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`})`);
      }
      if (await httpOk(url, tls)) return;
      if (Date.now() > deadline) throw fail(`did not become healthy at ${url} within ${Math.round(timeoutMs / 1000)} s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Call before starting proxies that serve portal IPs: notes whether the portal bridge will be theirs. */
  protected async notePortalBridge(): Promise<void> {
    this.madePortalBridge = !(await hasPortalInterface());
  }

  /** After the group's proxies stopped: the portal bridge, if they made it. */
  protected async removePortalBridgeIfMade(): Promise<void> {
    if (this.madePortalBridge) await removePortalRoute();
  }

  /**
   * After the group's kubelets stopped: their minions' containers and pod networks on the engine at
   * `dockerEndpoint` (kubelets leave pods running when they stop, for a restart to adopt; a minion
   * going away does not).
   */
  protected async removeMinionContainers(minions: readonly string[], dockerEndpoint?: string): Promise<void> {
    const docker = new DockerRuntime({ logger: this.log, connection: dockerEndpoint === undefined ? undefined : dockerConnection(dockerEndpoint) });
    try {
      for (const name of minions) {
        const containers = await docker.listContainers({ [LABELS.minion]: name });
        await Promise.all(containers.map((c) => docker.removeContainer(c.id)));
        await docker.removeNetwork(`coxswain-${name}`);
        this.log.info({ minion: name, containers: containers.length }, 'removed minion containers and network');
      }
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'could not remove minion containers');
    } finally {
      await docker.close();
    }
  }
}

/** Asks the group running from `dataDir` (found through its pid file) to stop, and waits; false: none was running. */
export async function stopRunningGroup(dataDir: string, pidFileName: string, what: string, timeoutMs = 60_000): Promise<boolean> {
  const pidFile = join(dataDir, pidFileName);
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    rmSync(pidFile, { force: true });
    return false;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await realClock.sleep(200);
  }
  throw new Error(`${what} (pid ${pid}) did not stop within ${timeoutMs / 1000}s`);
}

/** True when a GET of `url` answers 200 within 2 s (https: checked against `tls`' CA, presenting its certificate). */
function httpOk(url: string, tls?: EtcdTLS): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const onResponse = (res: IncomingMessage) => {
      res.resume();
      resolve(res.statusCode === 200);
    };
    const req = tls
      ? httpsGet(url, { timeout: 2000, agent: false, ca: readFileSync(tls.caFile), cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, onResponse)
      : get(url, { timeout: 2000, agent: false }, onResponse);
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

export async function waitForHttp(url: string, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await httpOk(url)) return;
    if (Date.now() > deadline) throw new Error(`${what} did not become healthy at ${url} within ${timeoutMs / 1000}s`);
    await realClock.sleep(200);
  }
}
