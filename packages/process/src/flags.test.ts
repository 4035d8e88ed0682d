import { parseEtcdServers } from './flags';

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
