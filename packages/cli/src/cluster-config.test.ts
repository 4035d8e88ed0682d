import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { CliIo } from './cli-io';
import { DEFAULT_SERVER, resolveClusterConfig } from './cluster-config';

function ioWith(env: Record<string, string | undefined>): CliIo {
  const sink = { write: () => true };
  return { stdout: sink, stderr: sink, stdin: new PassThrough(), env, cwd: '/' };
}

describe('resolveClusterConfig', () => {
  let home: string;
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'kubecfg-home-'));
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it('defaults to the local API server when nothing is set', () => {
    expect(resolveClusterConfig({}, ioWith({ HOME: home }))).toEqual({ server: DEFAULT_SERVER, token: undefined, source: 'default', namespace: 'default', namespaceFromFlag: false });
  });

  it('prefers the flag, then KUBE_SERVER, then the config file', () => {
    fs.mkdirSync(path.join(home, '.coxswain'));
    fs.writeFileSync(path.join(home, '.coxswain', 'config.json'), JSON.stringify({ server: 'http://127.0.0.1:7000', token: 'file-token' }));
    const env = { HOME: home, KUBE_SERVER: '127.0.0.1:9000' };
    expect(resolveClusterConfig({ server: 'http://127.0.0.1:1234/' }, ioWith(env))).toMatchObject({
      server: 'http://127.0.0.1:1234',
      source: '--server',
      token: 'file-token',
    });
    expect(resolveClusterConfig({}, ioWith(env))).toMatchObject({ server: 'http://127.0.0.1:9000', source: 'KUBE_SERVER' });
    expect(resolveClusterConfig({}, ioWith({ HOME: home }))).toMatchObject({ server: 'http://127.0.0.1:7000', token: 'file-token' });
    expect(resolveClusterConfig({ token: 'flag-token' }, ioWith({ HOME: home })).token).toBe('flag-token');
  });

  it('reads the config file named by COXSWAIN_CONFIG and survives a broken one', () => {
    const file = path.join(home, 'other.json');
    fs.writeFileSync(file, JSON.stringify({ server: 'http://127.0.0.2:8080' }));
    expect(resolveClusterConfig({}, ioWith({ HOME: home, COXSWAIN_CONFIG: file })).server).toBe('http://127.0.0.2:8080');
    fs.writeFileSync(file, '{not json');
    expect(resolveClusterConfig({}, ioWith({ HOME: home, COXSWAIN_CONFIG: file })).server).toBe(DEFAULT_SERVER);
  });

  it('takes the namespace from -n, else the config file, else default; only -n counts as explicit', () => {
    const file = path.join(home, 'ns.json');
    fs.writeFileSync(file, JSON.stringify({ server: 'http://127.0.0.2:8080', namespace: 'team-cfg' }));
    const env = { HOME: home, COXSWAIN_CONFIG: file };
    expect(resolveClusterConfig({ namespace: 'team-a' }, ioWith(env))).toMatchObject({ namespace: 'team-a', namespaceFromFlag: true });
    expect(resolveClusterConfig({}, ioWith(env))).toMatchObject({ namespace: 'team-cfg', namespaceFromFlag: false });
    expect(resolveClusterConfig({}, ioWith({ HOME: home }))).toMatchObject({ namespace: 'default', namespaceFromFlag: false });
    expect(() => resolveClusterConfig({ namespace: '' }, ioWith(env))).toThrow('invalid namespace "" (--namespace)');
    fs.writeFileSync(file, JSON.stringify({ namespace: 'Bad_NS' }));
    expect(() => resolveClusterConfig({}, ioWith(env))).toThrow(`invalid namespace "Bad_NS" (${file})`);
  });
});
