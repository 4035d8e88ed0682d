import { EventEmitter } from 'events';
import { spawn } from 'child_process';
import * as path from 'path';
import { createShutdownCoordinator } from './process-signals';
import { eventually, FakeClock, settle, sourceScript } from '@coxswain/testing';

function fake(graceMs = 1000) {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  const c = createShutdownCoordinator({ emitter, exit: (code) => exits.push(code), graceMs });
  return { emitter, exits, c };
}

describe('shutdown coordinator', () => {
  it('runs cleanups once, newest first, each after the one before has finished, on the first SIGTERM, then exits 0', async () => {
    const { emitter, exits, c } = fake();
    const order: string[] = [];
    let serverClosed!: () => void;
    c.onShutdown(() => {
      order.push('store');
    });
    c.onShutdown(async () => {
      await new Promise<void>((r) => (serverClosed = r));
      order.push('server');
    });
    emitter.emit('SIGTERM', 'SIGTERM');
    await settle();
    expect(order).toEqual([]); // the store waits for the server's cleanup
    expect(exits).toEqual([]);
    serverClosed();
    await c.shutdown('again'); // the same run
    expect(order).toEqual(['server', 'store']);
    expect(exits).toEqual([0]);
  });

  it('a failing cleanup does not stop the rest; the exit code says it failed', async () => {
    const { emitter, exits, c } = fake();
    const ran: string[] = [];
    c.onShutdown(() => {
      ran.push('first');
    });
    c.onShutdown(() => {
      throw new Error('boom');
    });
    emitter.emit('SIGINT', 'SIGINT');
    await settle();
    expect(ran).toEqual(['first']);
    expect(exits).toEqual([1]);
  });

  it('a second signal exits at once; a hung cleanup is cut off after the grace period', async () => {
    const { emitter, exits, c } = fake(50);
    c.onShutdown(() => new Promise(() => undefined));
    emitter.emit('SIGTERM', 'SIGTERM');
    emitter.emit('SIGTERM', 'SIGTERM');
    expect(exits).toEqual([130]);
    await eventually(() => exits.length === 2, 2000, 'the grace period (50 ms) to end the hung cleanup');
    expect(exits).toEqual([130, 1]);
  });

  it('the grace period can be lengthened after the coordinator is made', async () => {
    const clock = new FakeClock();
    const exits: number[] = [];
    const c = createShutdownCoordinator({ emitter: new EventEmitter(), exit: (code) => exits.push(code), graceMs: 1000, clock });
    c.setGraceMs(120_000);
    c.onShutdown(() => new Promise(() => undefined));
    void c.shutdown('test');
    await clock.advance(119_999);
    expect(exits).toEqual([]);
    await clock.advance(1);
    expect(exits).toEqual([1]);
  });

  it('an unregistered cleanup does not run', async () => {
    const { exits, c } = fake();
    let ran = false;
    const off = c.onShutdown(() => {
      ran = true;
    });
    off();
    await c.shutdown('test');
    expect(ran).toBe(false);
    expect(exits).toEqual([0]);
  });

  it('a real process runs its cleanup on SIGTERM and exits 0', async () => {
    const script = sourceScript(`
      const { onShutdown } = require(${JSON.stringify(path.join(__dirname, 'process-signals.ts'))});
      const keepAlive = setInterval(() => undefined, 1000);
      onShutdown(async () => { clearInterval(keepAlive); await new Promise(r => setImmediate(r)); console.log('CLEANED'); });
      console.log('READY');
    `);
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, COXSWAIN_LOG_LEVEL: 'silent' } });
    let out = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) =>
      child.stdout!.on('data', (c) => {
        out += c;
        if (out.includes('READY')) resolve();
      }),
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('CLEANED');
  }, 30_000); // the child compiles its TypeScript source first: seconds on a busy machine
});
