// runCli without a cluster: help, flag spelling, argument errors, completion, and what an
// unreachable server looks like.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as net from 'node:net';
import { captureIo } from './testing/cluster-harness';
import { runCli } from './run-cli';

let home: string;
beforeAll(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'kubecfg-runcli-'));
});
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

async function kubecfg(args: string[], env: Record<string, string | undefined> = {}) {
  const cap = captureIo({ env }, { env: { HOME: home }, cwd: home });
  const code = await runCli(args, cap.io);
  return { code, stdout: cap.stdout(), stderr: cap.stderr() };
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('runCli', () => {
  it('prints help for --help and a bare -h, listing the seed verbs and the kubectl-style ones', async () => {
    for (const flag of ['--help', '-h']) {
      const r = await kubecfg([flag]);
      expect(r.code).toBe(0);
      for (const verb of ['create <kind>', 'list <kind>', 'rollingupdate <controller>', 'apply', 'rollout', 'completion']) expect(r.stdout).toContain(verb);
      expect(r.stdout).toMatch(/-n, --namespace/);
    }
  });

  it('says which address it tried and how to set another when no server answers', async () => {
    const port = await closedPort();
    let r = await kubecfg(['-h', `http://127.0.0.1:${port}`, 'list', 'pods']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot reach the API server at http://127.0.0.1:${port}`);
    expect(r.stderr).toContain('set by --server');
    expect(r.stderr).toContain('-s/--server URL or the KUBE_SERVER environment variable');
    r = await kubecfg(['get', 'pods'], { KUBE_SERVER: `127.0.0.1:${port}` });
    expect(r.stderr).toContain(`cannot reach the API server at http://127.0.0.1:${port}`);
    expect(r.stderr).toContain('set by KUBE_SERVER');
    const config = path.join(home, 'cluster.json');
    fs.writeFileSync(config, JSON.stringify({ server: `http://127.0.0.1:${port}`, token: 't' }));
    r = await kubecfg(['get', 'pods'], { COXSWAIN_CONFIG: config });
    expect(r.stderr).toContain(`set by ${config}`);
  });

  it('rejects unknown verbs and flags, and missing arguments, with exit 1', async () => {
    let r = await kubecfg(['frobnicate']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: Unknown argument: frobnicate/);
    r = await kubecfg(['list', 'pods', '--bogus']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Unknown argument');
    r = await kubecfg(['resize', 'onlyname']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Not enough non-option arguments');
    r = await kubecfg(['apply']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('apply needs -f FILE, DIR or -');
    r = await kubecfg(['create', 'pods']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('create pods needs a manifest: kubecfg -c FILE create pods');
  });

  it('refuses a bad -u or --timeout before doing anything', async () => {
    const r = await kubecfg(['-u', 'soon', 'rollingupdate', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: -u: "soon" is not a duration (e.g. 1m30s, 40s, 500ms, 2h, or plain seconds such as 30)\n');
  });

  it('prints a bash completion script', async () => {
    const r = await kubecfg(['completion']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('###-begin-kubecfg-completions-###');
    expect(r.stdout).toContain('complete -o bashdefault -o default -F _kubecfg_yargs_completions kubecfg');
  });

  it('prints the client version even when the server cannot be reached', async () => {
    const port = await closedPort();
    const r = await kubecfg(['-s', `http://127.0.0.1:${port}`, 'version']);
    expect(r.stdout).toBe('Client Version: v0.1.0\n');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot reach the API server');
  });
});
