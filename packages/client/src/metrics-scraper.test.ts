// The metrics pipeline's shutdown when the store never answers: its first pass waits for the minion
// informer's first list, and stop() must end that wait rather than wait for it.
import type { ObjectStore } from '@coxswain/objects';
import { memoryRegistry } from '@coxswain/testing';
import { MetricsScraper } from './metrics-scraper';

it('stops while its first pass is still waiting for a list of the minions that never comes', async () => {
  const store = memoryRegistry();
  let lists = 0;
  const unreachable = new Proxy(store, {
    get: (target, prop, receiver) =>
      prop === 'list'
        ? () => {
            lists++;
            return Promise.reject(new Error('etcd unreachable'));
          }
        : Reflect.get(target, prop, receiver),
  }) as ObjectStore;
  const scraper = new MetricsScraper({ store: unreachable, intervalMs: 60_000 });
  scraper.start();
  const pass = scraper.scrape();
  while (lists === 0) await new Promise((r) => setImmediate(r));
  await scraper.stop();
  await pass;
  expect(scraper.lastPass()).toBeUndefined();
  expect(scraper.nodes()).toEqual([]);
});
