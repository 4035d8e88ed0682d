// `coxswain apiserver`'s flags: both --flag forms, and a usage message for each mistake.
import { parseApiServerFlags } from './api-server-command';

describe('parseApiServerFlags', () => {
  it('reads --flag value and --flag=value forms', () => {
    expect(parseApiServerFlags(['--etcd-servers', 'http://127.0.0.1:2379,http://127.0.0.2:2379', '--address=127.0.0.1', '--port', '8080', '--token-file', '/tmp/t'])).toEqual({
      etcdServers: 'http://127.0.0.1:2379,http://127.0.0.2:2379',
      address: '127.0.0.1',
      port: 8080,
      tokenFile: '/tmp/t',
      maxBodyBytes: undefined,
      heartbeatMs: undefined,
    });
  });

  it.each([
    [[], /--etcd-servers is required/],
    [['--etcd-servers'], /needs a value/],
    [['--etcd-servers', 'x', '--port', 'eighty'], /--port must be a non-negative integer/],
    [['--etcd-servers', 'x', '--bogus', '1'], /unknown flag --bogus/],
    [['stray'], /unexpected argument "stray"/],
  ])('%p fails with a usage message', (argv, message) => {
    expect(() => parseApiServerFlags(argv as string[])).toThrow(message);
  });
});
