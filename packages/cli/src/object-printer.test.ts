import YAML from 'yaml';
import { formatAge, podStatusReason } from '@coxswain/objects';
import { objectRef, parseOutputFormat, printObjects } from './object-printer';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const pod = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, creationTimestamp: '2024-05-01T11:59:15Z' },
  spec: { containers: [{ name: 'c', image: 'redis' }], nodeName: 'minion-1' },
  status: {
    phase: 'Running',
    podIP: '172.30.1.5',
    containerStatuses: [{ name: 'c', ready: true, restartCount: 2, image: 'redis', state: { running: {} } }],
  },
  ...extra,
});

const cells = (s: string) => s.trimEnd().split('\n').map((l) => l.trim().split(/ {2,}/));

describe('printObjects', () => {
  it('prints pods as kubectl does, with IP and node when wide', () => {
    expect(cells(printObjects('pods', 'Pod', [pod('a')], 'table', NOW))).toEqual([
      ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
      ['a', '1/1', 'Running', '2', '45s'],
    ]);
    expect(cells(printObjects('pods', 'Pod', [pod('a')], 'wide', NOW))[1]).toEqual(['a', '1/1', 'Running', '2', '45s', '172.30.1.5', 'minion-1', '<none>', '<none>']);
  });

  it('shows a waiting reason instead of the phase', () => {
    const crashing = pod('b', {
      status: { phase: 'Running', containerStatuses: [{ name: 'c', ready: false, restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff' } } }] },
    });
    expect(podStatusReason(crashing)).toBe('CrashLoopBackOff');
    expect(podStatusReason({ status: {} })).toBe('Pending');
  });

  it('prints controllers, services and events', () => {
    const rc = {
      kind: 'ReplicationController',
      metadata: { name: 'web', creationTimestamp: '2024-05-01T09:00:00Z' },
      spec: { replicas: 3, selector: { app: 'web' }, template: { spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
      status: { replicas: 2, readyReplicas: 1 },
    };
    expect(cells(printObjects('replicationControllers', 'ReplicationController', [rc], 'wide', NOW))[1]).toEqual([
      'web', '3', '2', '1', '3h', 'c', 'nginx', 'app=web',
    ]);
    const svc = { metadata: { name: 's' }, spec: { ports: [{ port: 10000 }], selector: { name: 'redis-master' } } };
    expect(cells(printObjects('services', 'Service', [svc], 'table', NOW))[1]).toEqual(['s', 'ClusterIP', '<none>', '<none>', '10000/TCP', '<unknown>']);
    const withIP = { ...svc, spec: { ...svc.spec, clusterIP: '172.30.0.7' } };
    expect(cells(printObjects('services', 'Service', [withIP], 'wide', NOW))[1]).toEqual(['s', 'ClusterIP', '172.30.0.7', '<none>', '10000/TCP', '<unknown>', 'name=redis-master']);
    const ev = {
      metadata: { name: 'e1' },
      type: 'Warning',
      reason: 'FailedScheduling',
      message: 'no minion fits',
      involvedObject: { kind: 'Pod', name: 'a' },
      lastTimestamp: '2024-05-01T11:50:00Z',
    };
    expect(cells(printObjects('events', 'Event', [ev], 'table', NOW))[1]).toEqual(['10m', 'Warning', 'FailedScheduling', 'pod/a', 'no minion fits']);
  });

  it('prints names, JSON and YAML', () => {
    expect(printObjects('pods', 'Pod', [pod('a'), pod('b')], 'name', NOW)).toBe('pod/a\npod/b\n');
    expect(JSON.parse(printObjects('pods', 'Pod', [pod('a')], 'json', NOW)).metadata.name).toBe('a');
    expect(YAML.parse(printObjects('pods', 'Pod', [pod('a'), pod('b')], 'yaml', NOW)).items).toHaveLength(2);
    expect(printObjects('pods', 'Pod', [], 'table', NOW)).toBe('');
  });
});

describe('helpers', () => {
  it('formats ages like kubectl', () => {
    expect(formatAge('2024-05-01T11:59:59Z', NOW)).toBe('1s');
    expect(formatAge('2024-05-01T11:00:00Z', NOW)).toBe('60m');
    expect(formatAge('2024-04-28T12:00:00Z', NOW)).toBe('3d');
    expect(formatAge('', NOW)).toBe('<unknown>');
  });

  it('parses output formats and names objects', () => {
    expect(parseOutputFormat(undefined)).toBe('table');
    expect(parseOutputFormat('wide')).toBe('wide');
    expect(() => parseOutputFormat('xml')).toThrow(/wide, json, yaml, name/);
    expect(objectRef('ReplicationController', 'web')).toBe('replicationcontroller/web');
  });
});
