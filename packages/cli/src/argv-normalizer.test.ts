import { normalizeArgv } from './argv-normalizer';

describe('normalizeArgv', () => {
  it('turns the seed single-dash long flags into yargs long flags', () => {
    expect(normalizeArgv(['-json', 'get', 'pods/x'])).toEqual(['--json', 'get', 'pods/x']);
    expect(normalizeArgv(['-image', 'redis:7', '-u', '10s', 'rollingupdate', 'rc1'])).toEqual([
      '--image', 'redis:7', '-u', '10s', 'rollingupdate', 'rc1',
    ]);
    expect(normalizeArgv(['-yaml=true', 'list', 'pods'])).toEqual(['--yaml=true', 'list', 'pods']);
    expect(normalizeArgv(['-namespace', 'team-a', 'list', 'pods', '-all-namespaces'])).toEqual(['--namespace', 'team-a', 'list', 'pods', '--all-namespaces']);
    expect(normalizeArgv(['-n', 'team-a', 'get', 'pods', '-A'])).toEqual(['-n', 'team-a', 'get', 'pods', '-A']);
  });

  it('reads -h HOST as the server and a bare -h as help', () => {
    expect(normalizeArgv(['-h', 'http://127.0.0.1:9000', 'list', 'pods'])).toEqual([
      '--server', 'http://127.0.0.1:9000', 'list', 'pods',
    ]);
    expect(normalizeArgv(['-h=10.0.0.1:8080', 'list', 'pods'])).toEqual(['--server=10.0.0.1:8080', 'list', 'pods']);
    expect(normalizeArgv(['list', '-h'])).toEqual(['list', '--help']);
    expect(normalizeArgv(['-h', '-json'])).toEqual(['--help', '--json']);
  });

  it('leaves short flags, stdin dashes, unknown words and everything after -- alone', () => {
    expect(normalizeArgv(['-c', '-', 'create', 'pods'])).toEqual(['-c', '-', 'create', 'pods']);
    expect(normalizeArgv(['-p', '8080:80', 'run', 'nginx', '2', 'web'])).toEqual(['-p', '8080:80', 'run', 'nginx', '2', 'web']);
    expect(normalizeArgv(['-wx', '--json'])).toEqual(['-wx', '--json']);
    expect(normalizeArgv(['logs', 'p', '--', '-json'])).toEqual(['logs', 'p', '--', '-json']);
  });
});
