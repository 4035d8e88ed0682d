import { FigureTable } from './figure-table';

describe('FigureTable', () => {
  it('prints each figure with its limit, the ratio and whether the goal is met', () => {
    const t = new FigureTable();
    t.atMost('density', 'pod startup p99', 6200, 'ms', 5000);
    t.atLeast('scheduler', 'pods bound/s', 1200, '/s', 1000);
    t.add({ section: 'limit', name: 'etcd CAS txn/s (64 in flight)', value: 8123.4, unit: '/s' });
    const md = t.markdown().split('\n');
    expect(md).toHaveLength(5);
    expect(md[2]).toBe('| density | pod startup p99 | 6200 ms | goal: 5000 | 1.24 | <= 5000 ms | **no** |');
    expect(md[3]).toBe('| scheduler | pods bound/s | 1200 /s | goal: 1000 | 1.20 | >= 1000 /s | yes |');
    expect(md[4]).toBe('| limit | etcd CAS txn/s (64 in flight) | 8123 /s |  |  |  |  |');
  });
});
