import {
  cidrProblem, containerNameProblem, envNameProblem, labelKeyProblem, labelValueProblem, namespaceProblem,
  objectNameProblem, portNameProblem, portNumberProblem,
} from './identifiers';

describe('identifiers', () => {
  it.each(['redis-master-2', 'redismaster', 'redisSlaveController', 'frontendController', 'a', '127.0.1.1', '4df5661d-4e0b-11e4-957e-42010af01e53'])(
    'object name %j is valid',
    (n) => expect(objectNameProblem(n)).toBeUndefined(),
  );
  it.each(['', 'a/b', 'a b', ' a', 'a_b', '-a', 'a-', '.a', 'a.', 'ä', 'a:b', 'x'.repeat(254)])(
    'object name %j is invalid',
    (n) => expect(objectNameProblem(n)).toBeDefined(),
  );
  it.each(['default', 'kube-system', 'a1'])('namespace %j is valid', (n) => expect(namespaceProblem(n)).toBeUndefined());
  it.each(['', 'Default', 'a.b', 'a_b', 'x'.repeat(64)])('namespace %j is invalid', (n) => expect(namespaceProblem(n)).toBeDefined());
  it.each(['name', 'replicationController', 'example.com/app', 'a.b_c-d', 'k8s.io/x', 'x'.repeat(63)])(
    'label key %j is valid',
    (k) => expect(labelKeyProblem(k)).toBeUndefined(),
  );
  it.each(['', '/x', 'Example.com/x', 'a/b/c', '-x', 'x-', 'a b', 'x'.repeat(64), 'under_score.com/x'])(
    'label key %j is invalid',
    (k) => expect(labelKeyProblem(k)).toBeDefined(),
  );
  it.each(['', 'redis-master', 'redisSlaveController', 'v1.2_3'])('label value %j is valid', (v) => expect(labelValueProblem('k', v)).toBeUndefined());
  it.each(['a b', 'a/b', '-a', 'x'.repeat(64)])('label value %j is invalid', (v) => expect(labelValueProblem('k', v)).toBeDefined());
  it.each(['master', 'php-redis', 'Slave1'])('container name %j is valid', (n) => expect(containerNameProblem(n)).toBeUndefined());
  it.each(['', 'a_b', 'a.b', '-a', 'x'.repeat(64)])('container name %j is invalid', (n) => expect(containerNameProblem(n)).toBeDefined());
  it.each(['http', 'redis-1', 'a1'])('port name %j is valid', (n) => expect(portNameProblem(n)).toBeUndefined());
  it.each(['', '80', 'a b', 'x'.repeat(16), '-a'])('port name %j is invalid', (n) => expect(portNameProblem(n)).toBeDefined());
  it.each([1, 80, 65535])('port %d is valid', (p) => expect(portNumberProblem(p)).toBeUndefined());
  it.each([0, -1, 65536, 1.5])('port %d is invalid', (p) => expect(portNumberProblem(p)).toBeDefined());
  it.each(['PATH', '_x', 'a1'])('env name %j is valid', (n) => expect(envNameProblem(n)).toBeUndefined());
  it.each(['', '1a', 'A-B', 'a b'])('env name %j is invalid', (n) => expect(envNameProblem(n)).toBeDefined());
  it.each(['172.30.1.0/24', '10.0.0.0/8', 'fd00::/64'])('cidr %j is valid', (c) => expect(cidrProblem(c)).toBeUndefined());
  it.each(['172.30.1.0', '172.30.1.0/33', 'x/24', '/24'])('cidr %j is invalid', (c) => expect(cidrProblem(c)).toBeDefined());
});
