import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { etcdClientFlags, parseEtcdServers, parseEtcdTLS } from './flags';

describe('parseEtcdServers', () => {
  it('splits on commas and trims', () => {
    expect(parseEtcdServers('http://127.0.0.1:2379')).toEqual(['http://127.0.0.1:2379']);
    expect(parseEtcdServers(' http://127.0.0.1:2379 , https://etcd-2:2379,')).toEqual(['http://127.0.0.1:2379', 'https://etcd-2:2379']);
  });

  it('takes a list as already split, checked the same way', () => {
    expect(parseEtcdServers(['http://a:2379', ' http://b:2379 '])).toEqual(['http://a:2379', 'http://b:2379']);
    expect(() => parseEtcdServers([])).toThrow('--etcd-servers: give at least one etcd client URL');
  });

  it.each([[''], ['  '], [' , '], [undefined]])('refuses %j, naming the flag', (value) => {
    expect(() => parseEtcdServers(value)).toThrow('--etcd-servers: give at least one etcd client URL, e.g. http://127.0.0.1:2379');
  });

  it.each([['localhost:2379'], ['127.0.0.1:2379'], ['etcd'], ['grpc://etcd:2379']])('refuses %j, which is not an http(s) URL', (value) => {
    expect(() => parseEtcdServers(`http://ok:2379,${value}`)).toThrow(`--etcd-servers: "${value}" is not an http(s) URL (e.g. http://127.0.0.1:2379)`);
  });
});

describe('parseEtcdTLS', () => {
  let dir: string;
  let files: { etcdCafile: string; etcdCertfile: string; etcdKeyfile: string };
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coxswain-flags-'));
    files = { etcdCafile: path.join(dir, 'ca.crt'), etcdCertfile: path.join(dir, 'c.crt'), etcdKeyfile: path.join(dir, 'c.key') };
    for (const f of Object.values(files)) fs.writeFileSync(f, 'pem');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const HTTPS = ['https://127.0.0.1:2379'];

  it('none of the three flags: plain etcd', () => {
    expect(parseEtcdTLS({}, ['http://127.0.0.1:2379'])).toBeUndefined();
  });

  it('all three: the files, for https servers', () => {
    expect(parseEtcdTLS(files, HTTPS)).toEqual({ caFile: files.etcdCafile, certFile: files.etcdCertfile, keyFile: files.etcdKeyfile });
  });

  it('refuses some without the others, naming the missing ones', () => {
    expect(() => parseEtcdTLS({ etcdCafile: files.etcdCafile }, HTTPS)).toThrow(
      '--etcd-certfile, --etcd-keyfile: give all three of --etcd-cafile, --etcd-certfile and --etcd-keyfile, or none',
    );
  });

  it('refuses a file it cannot read, naming the flag', () => {
    expect(() => parseEtcdTLS({ ...files, etcdKeyfile: path.join(dir, 'absent.key') }, HTTPS)).toThrow(`--etcd-keyfile: cannot read "${path.join(dir, 'absent.key')}"`);
  });

  it('refuses an http server with TLS files', () => {
    expect(() => parseEtcdTLS(files, ['https://a:2379', 'http://b:2379'])).toThrow('--etcd-servers: "http://b:2379" is not https, but --etcd-cafile/--etcd-certfile/--etcd-keyfile ask for TLS');
  });
});

describe('etcdClientFlags', () => {
  it('gives the servers, and with TLS the three files under the names parseEtcdTLS reads', () => {
    expect(etcdClientFlags(['http://a:2379', 'http://b:2379'])).toEqual(['--etcd-servers', 'http://a:2379,http://b:2379']);
    expect(etcdClientFlags(['https://a:2379'], { caFile: '/p/ca.crt', certFile: '/p/c.crt', keyFile: '/p/c.key' })).toEqual([
      '--etcd-servers', 'https://a:2379', '--etcd-cafile', '/p/ca.crt', '--etcd-certfile', '/p/c.crt', '--etcd-keyfile', '/p/c.key',
    ]);
  });
});
