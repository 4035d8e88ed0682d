import WebSocket from 'ws';
import { startLogServer } from './log-server';
import { MemoryRuntime } from './memory-runtime';
import { LABELS } from './runtime';

const CREDENTIAL = 'stream-test-credential';

/** Opens a remote command socket and collects what arrives per channel until the server closes it. */
function run(url: string, headers: Record<string, string> = { authorization: `Bearer ${CREDENTIAL}` }, protocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io']) {
  return new Promise<{ protocol?: string; channels: Record<number, string>; refused?: { status: number; body: string } }>((resolve) => {
    const ws = new WebSocket(url, protocols, { headers });
    const channels: Record<number, string> = {};
    ws.on('message', (m: Buffer) => (channels[m[0]] = (channels[m[0]] ?? '') + m.subarray(1).toString()));
    ws.on('close', () => resolve({ protocol: ws.protocol, channels }));
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ channels, refused: { status: res.statusCode ?? 0, body } }));
    });
  });
}

describe('kubelet stream server (exec, attach)', () => {
  it('runs exec over v5 and v4 with the exit code in the error channel; refuses what it cannot serve', async () => {
    const runtime = new MemoryRuntime({
      images: ['pause', 'img'],
      exec: (_c, command) => (command[0] === 'hostname' ? { exitCode: 0, output: 'p\n' } : { exitCode: 3, output: 'failing\n' }),
    });
    await runtime.ensureNetwork({ name: 'n', subnet: '10.9.0.0/24', gateway: '10.9.0.1' });
    const sandbox = await runtime.runSandbox({ name: 's', image: 'pause', labels: {}, network: 'n', ports: [] });
    const labels = (container: string) => ({ [LABELS.minion]: 'm1', [LABELS.namespace]: 'default', [LABELS.podName]: 'p', [LABELS.container]: container, [LABELS.attempt]: '0' });
    const c = await runtime.createContainer({ name: 'c0', image: 'img', env: [], labels: labels('c'), sandboxId: sandbox });
    await runtime.startContainer(c);
    runtime.appendLog(c, 'from the container\n');
    await runtime.createContainer({ name: 'd0', image: 'img', env: [], labels: labels('stopped'), sandboxId: sandbox });
    const server = await startLogServer({ minion: 'm1', runtime, host: '127.0.0.1', port: 0, credential: CREDENTIAL });
    const base = server.url.replace(/^http/, 'ws');
    try {
      expect(await run(`${base}/exec/default/p/c?command=hostname&stdout=true&stderr=true`)).toEqual({
        protocol: 'v5.channel.k8s.io',
        channels: { 1: 'p\n', 3: '{"metadata":{},"status":"Success"}' },
      });
      const failed = await run(`${base}/exec/default/p/c?command=sh&command=-c&command=exit%203&stdout=true`, undefined, ['v4.channel.k8s.io']);
      expect(failed.protocol).toBe('v4.channel.k8s.io');
      expect(failed.channels[1]).toBe('failing\n');
      expect(JSON.parse(failed.channels[3])).toEqual({
        metadata: {},
        status: 'Failure',
        reason: 'NonZeroExitCode',
        message: 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3',
        details: { causes: [{ reason: 'ExitCode', message: '3' }] },
      });
      expect((await run(`${base}/attach/default/p/c?stdout=true`)).channels).toEqual({ 1: 'from the container\n', 3: '{"metadata":{},"status":"Success"}' });

      expect((await run(`${base}/exec/default/p/c?command=hostname&stdout=true`, {})).refused?.status).toBe(401);
      expect((await run(`${base}/attach/default/p/c?stdout=true`, { authorization: 'Bearer wrong' })).refused?.status).toBe(401);
      expect((await run(`${base}/exec/default/p/nope?command=hostname&stdout=true`)).refused).toEqual({ status: 404, body: 'container "nope" of pod default/p is not running on minion m1\n' });
      expect((await run(`${base}/exec/default/p/stopped?command=hostname&stdout=true`)).refused?.status).toBe(404);
      expect((await run(`${base}/exec/default/p/c?stdout=true`)).refused).toEqual({ status: 400, body: 'exec needs a command: at least one "command" parameter\n' });
      expect((await run(`${base}/exec/default/p/c?command=hostname`)).refused?.body).toBe('at least one of stdin, stdout and stderr must be true\n');
      expect((await run(`${base}/exec/default/p/c?command=hostname&stdout=true`, undefined, ['channel.k8s.io'])).refused?.body).toMatch(/subprotocols v5.channel.k8s.io, v4.channel.k8s.io/);
    } finally {
      await server.close();
    }
  });
});
