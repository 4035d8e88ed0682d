import * as fs from 'node:fs';
import * as path from 'node:path';
import { seedTable } from './seed-printer';

const examples = path.resolve(__dirname, '../../../examples/seed-guestbook');
const load = (f: string) => JSON.parse(fs.readFileSync(path.join(examples, f), 'utf8')) as Record<string, unknown>;

/** Splits a printed table back into cells (columns are separated by runs of 3+ spaces or fixed padding). */
function cells(table: string): string[][] {
  return table
    .trimEnd()
    .split('\n')
    .map((l) => l.split(/ {2,}/).map((c) => c.trim()));
}

describe('seedTable', () => {
  it('prints a new pod as on the first slide: unbound host "/" and Waiting', () => {
    const pod = { ...load('redis-master.json'), currentState: { status: 'Waiting' } };
    const out = seedTable('pods', [pod]);
    expect(cells(out)).toEqual([
      ['ID', 'Image(s)', 'Host', 'Labels', 'Status'],
      ['----------', '----------', '----------', '----------', '----------'],
      ['redis-master-2', 'dockerfile/redis', '/', 'name=redis-master', 'Waiting'],
    ]);
    expect(out.split('\n')[0]).toBe('ID                  Image(s)            Host                Labels              Status');
  });

  it('prints host/hostIP and sorted labels for a running pod', () => {
    const pod = {
      id: '4df5661d',
      labels: { replicationController: 'redisSlaveController', name: 'redisslave' },
      desiredState: { manifest: { containers: [{ name: 'slave', image: 'brendanburns/redis-slave' }] } },
      currentState: { status: 'Running', host: 'minion-1', hostIP: '127.0.1.1' },
    };
    expect(cells(seedTable('pods', [pod]))[2]).toEqual([
      '4df5661d',
      'brendanburns/redis-slave',
      'minion-1/127.0.1.1',
      'name=redisslave,replicationController=redisSlaveController',
      'Running',
    ]);
  });

  it('prints controllers and services with the slides columns', () => {
    expect(cells(seedTable('replicationControllers', [load('redis-slave-controller.json'), load('frontend-controller.json')]))).toEqual([
      ['ID', 'Image(s)', 'Selector', 'Replicas'],
      ['----------', '----------', '----------', '----------'],
      ['redisSlaveController', 'brendanburns/redis-slave', 'name=redisslave', '2'],
      ['frontendController', 'brendanburns/php-redis', 'name=frontend', '3'],
    ]);
    const withIP = (file: string, portalIP: string) => ({ ...load(file), portalIP });
    const services = seedTable('services', [withIP('redis-master-service.json', '172.30.0.1'), withIP('redis-slave-service.json', '172.30.0.2')]);
    expect(cells(services)[0]).toEqual(['ID', 'Labels', 'Selector', 'IP', 'Port']);
    // The master service has no labels: an empty cell between ID and Selector, as on the slide.
    expect(services.split('\n')[2]).toMatch(/^redismaster {9}\s{20}name=redis-master {3,}172\.30\.0\.1 {3,}10000$/);
    expect(cells(services)[3]).toEqual(['redisslave', 'name=redisslave', 'name=redisslave', '172.30.0.2', '10001']);
  });

  it('prints minions with their readiness', () => {
    const out = seedTable('minions', [
      { id: 'minion-1', hostIP: '127.0.1.1', status: { conditions: [{ type: 'Ready', status: 'True' }] } },
      { id: 'minion-2' },
    ]);
    expect(cells(out).slice(2)).toEqual([
      ['minion-1', '127.0.1.1', 'Ready'],
      ['minion-2', 'Unknown'],
    ]);
  });
});
