import { processMetrics } from '@coxswain/process';
import { eventually } from '@coxswain/testing';
import { Controller } from './controller';

const sample = (text: string, name: string) => Number(new RegExp(`^${name.replace(/[{}"]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

it('the process registry counts a controller\'s queue adds, retries and reconciles by its name', async () => {
  let failed = false;
  const c = new Controller({
    name: 'metrics-probe',
    reconcile: async (key) => {
      if (key === 'b' && !failed) {
        failed = true;
        throw new Error('once');
      }
    },
  });
  c.start();
  for (const k of ['a', 'b', 'c']) c.enqueue(k);
  await c.whenIdle();
  // The failed key comes back after its backoff (5 ms first).
  await eventually(() => c.stats.reconciles >= 4, 5000, 'the retried key reconciled', 5);
  await c.whenIdle();
  const text = await processMetrics.metrics();
  expect(sample(text, 'workqueue_adds_total{name="metrics-probe"}')).toBe(4);
  expect(sample(text, 'workqueue_retries_total{name="metrics-probe"}')).toBe(1);
  expect(sample(text, 'workqueue_depth{name="metrics-probe"}')).toBe(0);
  expect(sample(text, 'workqueue_work_duration_seconds_count{name="metrics-probe"}')).toBe(4);
  await c.stop();
  expect(await processMetrics.metrics()).not.toMatch(/workqueue_depth\{name="metrics-probe"\}/);
});
