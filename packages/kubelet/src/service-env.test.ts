import type { Service } from '@coxswain/objects';
import { serviceEnv, serviceEnvName } from './service-env';

function svc(name: string, ports: Service['spec']['ports']): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { ports } };
}

describe('serviceEnv', () => {
  it('names variables after the service, upper-cased with - as _', () => {
    expect(serviceEnvName('redis-master')).toBe('REDIS_MASTER');
    expect(serviceEnvName('redismaster')).toBe('REDISMASTER');
  });

  it('gives the seed-era variables pointing at the proxy address and the service port', () => {
    const env = serviceEnv([svc('redismaster', [{ port: 10000, targetPort: 6379 }])], '172.30.11.1');
    expect(env).toEqual({
      REDISMASTER_SERVICE_HOST: '172.30.11.1',
      REDISMASTER_SERVICE_PORT: '10000',
      REDISMASTER_PORT: 'tcp://172.30.11.1:10000',
      REDISMASTER_PORT_10000_TCP: 'tcp://172.30.11.1:10000',
      REDISMASTER_PORT_10000_TCP_PROTO: 'tcp',
      REDISMASTER_PORT_10000_TCP_PORT: '10000',
      REDISMASTER_PORT_10000_TCP_ADDR: '172.30.11.1',
    });
  });

  it('covers every service and every port', () => {
    const env = serviceEnv(
      [svc('redis-slave', [{ port: 10001 }]), svc('dns', [{ port: 53, protocol: 'UDP' }, { port: 5353 }])],
      '10.0.0.1',
    );
    expect(env.REDIS_SLAVE_SERVICE_PORT).toBe('10001');
    expect(env.DNS_PORT).toBe('udp://10.0.0.1:53');
    expect(env.DNS_PORT_53_UDP_PROTO).toBe('udp');
    expect(env.DNS_PORT_5353_TCP).toBe('tcp://10.0.0.1:5353');
  });

  it('points each service at its own portal IP, so two services on port 6379 are told apart', () => {
    const master = { ...svc('redis-master', [{ port: 6379 }]), spec: { ports: [{ port: 6379 }], clusterIP: '172.30.0.1' } };
    const slave = { ...svc('redisslave', [{ port: 6379 }]), spec: { ports: [{ port: 6379 }], clusterIP: '172.30.0.2' } };
    const env = serviceEnv([master, slave], '172.30.11.1');
    expect(env).toMatchObject({
      REDIS_MASTER_SERVICE_HOST: '172.30.0.1',
      REDIS_MASTER_SERVICE_PORT: '6379',
      REDIS_MASTER_PORT: 'tcp://172.30.0.1:6379',
      REDIS_MASTER_PORT_6379_TCP: 'tcp://172.30.0.1:6379',
      REDIS_MASTER_PORT_6379_TCP_ADDR: '172.30.0.1',
      REDISSLAVE_SERVICE_HOST: '172.30.0.2',
      REDISSLAVE_PORT_6379_TCP_ADDR: '172.30.0.2',
    });
  });
});
