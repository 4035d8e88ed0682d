import * as net from 'node:net';
import { freePorts, startRetryingTakenPorts } from './free-ports';

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });

it('freePorts gives distinct ports that nobody listens on once it returns', async () => {
  const ports = await freePorts('127.0.0.1', 8);
  expect(new Set(ports).size).toBe(8);
  for (const p of ports) expect(await refused(p)).toBe(true);
});

it('startRetryingTakenPorts starts again while a port was taken, up to the attempts given, and not on other failures', async () => {
  const portTaken = () => Promise.reject(new Error('listen tcp 127.0.0.1:2380: bind: address already in use'));
  let calls = 0;
  await expect(startRetryingTakenPorts(() => (calls++, portTaken()), 3)).rejects.toThrow(/address already in use/);
  expect(calls).toBe(3);

  calls = 0;
  expect(await startRetryingTakenPorts(() => (++calls === 1 ? portTaken() : Promise.resolve('up')))).toBe('up');
  expect(calls).toBe(2);

  calls = 0;
  const broken = () => (calls++, Promise.reject(new Error('etcd: data dir is not writable')));
  await expect(startRetryingTakenPorts(broken)).rejects.toThrow(/not writable/);
  expect(calls).toBe(1);
});
