// --docker-endpoint as an operator writes it: sockets, tcp, tcp with TLS, and mistakes named.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerConnection } from './docker-endpoint';

it('reads a unix socket in either spelling, and tcp with or without TLS', () => {
  expect(dockerConnection('unix:///run/cxsim-h1/docker.sock')).toEqual({ socketPath: '/run/cxsim-h1/docker.sock' });
  expect(dockerConnection('/var/run/docker.sock')).toEqual({ socketPath: '/var/run/docker.sock' });
  expect(dockerConnection('tcp://10.213.0.11:2375')).toEqual({ host: '10.213.0.11', port: 2375, protocol: 'http' });
  const dir = mkdtempSync(join(tmpdir(), 'docker-tls-'));
  for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(dir, f), f);
  const tls = dockerConnection('tcp://10.213.0.11:2376', { ca: join(dir, 'ca.pem'), cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') });
  expect(tls).toMatchObject({ host: '10.213.0.11', port: 2376, protocol: 'https' });
  expect(String(tls.ca)).toBe('ca.pem');
});

it('names the flag and the mistake', () => {
  expect(() => dockerConnection('http://x:1')).toThrow('--docker-endpoint "http://x:1": want unix:///path/to/docker.sock, a socket path, or tcp://host:port');
  expect(() => dockerConnection('tcp://x')).toThrow('--docker-endpoint "tcp://x": a tcp endpoint needs host:port');
  expect(() => dockerConnection('tcp://x:2376', { ca: '/nope' })).toThrow('--docker-tls-ca, --docker-tls-cert and --docker-tls-key go together');
  expect(() => dockerConnection('tcp://x:2376', { ca: '/nope/ca', cert: '/nope/c', key: '/nope/k' })).toThrow(/^--docker-tls-ca \/nope\/ca: ENOENT/);
});
