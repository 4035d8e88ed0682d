// docker-compose.yml, checked without a registry: every Coxswain service runs a real `coxswain`
// subcommand with flags that subcommand accepts (parsed by the binary's own yargs definitions, strict,
// handlers not run), one image built from the repository's Dockerfile, etcd reachable from every
// component the way its network allows, and the minion on the host network with the Docker socket.
// When a compose tool is installed, `config -q` must accept the file too.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { parseCommandLine } from '@coxswain/coxswain';
import { SERVER_NODE_FLAGS } from '@coxswain/process';

const ROOT = path.resolve(__dirname, '../..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');

interface ComposeService {
  image?: string;
  build?: string | { context: string; dockerfile?: string };
  command?: string[] | string;
  network_mode?: string;
  ports?: string[];
  volumes?: string[];
  depends_on?: string[] | Record<string, unknown>;
  environment?: Record<string, string> | string[];
}

const compose = parse(readFileSync(COMPOSE_FILE, 'utf8')) as { services: Record<string, ComposeService>; volumes?: Record<string, unknown> };
const services = compose.services;

/** The component each service must run: the control plane and one minion. */
const COMPONENTS: Record<string, string> = {
  apiserver: 'apiserver',
  scheduler: 'scheduler',
  replication: 'replication',
  endpoints: 'endpoints',
  deployments: 'deployments',
  'minion-controller': 'minion-controller',
  kubelet: 'kubelet',
  proxy: 'proxy',
};

/** Parses a command line with the coxswain binary's definitions; never runs a component. */
function parseCoxswain(args: string[]): Record<string, unknown> {
  try {
    return parseCommandLine(args);
  } catch (e) {
    throw new Error(`coxswain ${args.join(' ')}: ${(e as Error).message}`);
  }
}

const commandOf = (s: ComposeService): string[] => (Array.isArray(s.command) ? s.command.map(String) : String(s.command ?? '').split(/\s+/).filter(Boolean));
const dependsOn = (s: ComposeService): string[] => (Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {}));

describe('docker-compose.yml', () => {
  it('has etcd and one service per control-plane component and minion agent', () => {
    expect(Object.keys(services).sort()).toEqual(['etcd', ...Object.keys(COMPONENTS)].sort());
  });

  it('the parse check itself rejects what the binary would reject', () => {
    expect(() => parseCoxswain(['scheduler', '--etcd-servers', 'http://etcd:2379', '--no-such-flag'])).toThrow(/Unknown argument/);
    expect(() => parseCoxswain(['kubelet', '--etcd-servers', 'http://etcd:2379'])).toThrow(/Missing required arguments: minion, address/);
    expect(() => parseCoxswain(['controller-manager'])).toThrow(/Unknown argument/);
    expect(parseCoxswain(['proxy', '--minion', 'm', '--etcd-servers', 'http://127.0.0.1:2379'])._).toEqual(['proxy']);
  });

  it.each(Object.entries(COMPONENTS))('%s runs `coxswain %s` with flags it accepts', (name, component) => {
    const argv = parseCoxswain(commandOf(services[name]));
    expect(argv._).toEqual([component]);
    expect(argv.etcdServers).toBeDefined();
  });

  it('builds one image from the repository Dockerfile, whose entrypoint is the coxswain binary, and every component uses it', () => {
    const built = Object.entries(services).filter(([, s]) => s.build !== undefined);
    expect(built.map(([n]) => n)).toEqual(['apiserver']);
    const build = built[0][1].build!;
    const context = path.resolve(ROOT, typeof build === 'string' ? build : build.context);
    const dockerfile = path.join(context, typeof build === 'string' ? 'Dockerfile' : (build.dockerfile ?? 'Dockerfile'));
    expect(existsSync(dockerfile)).toBe(true);
    const text = readFileSync(dockerfile, 'utf8');
    const entry = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(text);
    expect(entry).not.toBeNull();
    const entrypoint = JSON.parse(entry![1]) as string[];
    // node with the servers' flags (process/node-flags.ts, as `up` starts its components), then the binary.
    expect(entrypoint.slice(0, -1)).toEqual(['node', ...SERVER_NODE_FLAGS]);
    expect(entrypoint.at(-1)).toMatch(/packages\/coxswain\/dist\/main\.js$/);
    // The build stage runs the repository's build, so the entrypoint exists in the image.
    expect(text).toMatch(/npm run build/);
    const image = built[0][1].image;
    expect(image).toBeTruthy();
    for (const name of Object.keys(COMPONENTS)) expect({ name, image: services[name].image }).toEqual({ name, image });
  });

  it('points every component at etcd the way its network reaches it', () => {
    const etcd = services.etcd;
    const etcdArgs = commandOf(etcd);
    expect(etcdArgs[0]).toBe('etcd');
    expect(etcd.image).toMatch(/etcd/);
    const clientUrl = etcdArgs.find((a) => a.startsWith('--listen-client-urls='))!;
    expect(clientUrl).toMatch(/:2379$/);
    // The host-network minion reaches etcd through a port published on loopback.
    expect(etcd.ports).toContain('127.0.0.1:2379:2379');
    for (const name of Object.keys(COMPONENTS)) {
      const s = services[name];
      const url = String(parseCoxswain(commandOf(s)).etcdServers);
      expect({ name, url }).toEqual({ name, url: s.network_mode === 'host' ? 'http://127.0.0.1:2379' : 'http://etcd:2379' });
      expect(dependsOn(s).every((d) => d in services)).toBe(true);
    }
  });

  it('runs the minion on the host network with the Docker socket; kubelet and proxy are the same minion', () => {
    const kubelet = services.kubelet;
    const proxy = services.proxy;
    expect(kubelet.network_mode).toBe('host');
    expect(proxy.network_mode).toBe('host');
    expect(kubelet.volumes).toContain('/var/run/docker.sock:/var/run/docker.sock');
    expect(parseCoxswain(commandOf(proxy)).minion).toBe(parseCoxswain(commandOf(kubelet)).minion);
    for (const name of Object.keys(COMPONENTS).filter((n) => n !== 'kubelet' && n !== 'proxy')) {
      expect({ name, network: services[name].network_mode }).toEqual({ name, network: undefined });
    }
  });

  it('serves the API with tokens when it listens beyond loopback, from a file mounted where the flag says', () => {
    const s = services.apiserver;
    const argv = parseCoxswain(commandOf(s));
    expect(argv.address).toBe('0.0.0.0');
    const tokenFile = String(argv.tokenFile);
    const mount = (s.volumes ?? []).map((v) => v.split(':')).find(([, target]) => target === tokenFile);
    expect(mount).toBeDefined();
    // A relative bind-mount source is a file a user must have next to the compose file (a missing
    // one would be created by Docker as a directory): it exists, or the compose file says how to make it.
    const source = mount![0];
    if (source.startsWith('.')) {
      const exists = existsSync(path.resolve(ROOT, source));
      const explained = readFileSync(COMPOSE_FILE, 'utf8')
        .split('\n')
        .some((l) => l.trimStart().startsWith('#') && l.includes(path.basename(source)));
      expect({ source, existsOrExplained: exists || explained }).toEqual({ source, existsOrExplained: true });
    }
    expect(s.ports?.some((p) => p.endsWith(`:${argv.port}`))).toBe(true);
  });

  const tool = [['docker-compose'], ['docker', 'compose']].find(
    ([cmd, ...sub]) => spawnSync(cmd, [...sub, 'version'], { encoding: 'utf8' }).status === 0,
  );
  (tool ? it : it.skip)(`is accepted by \`${tool?.join(' ') ?? 'docker compose'} config -q\` (skipped when no compose tool is installed)`, () => {
    const [cmd, ...sub] = tool!;
    const r = spawnSync(cmd, [...sub, '-f', COMPOSE_FILE, 'config', '-q'], { encoding: 'utf8', cwd: ROOT });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  });
});
