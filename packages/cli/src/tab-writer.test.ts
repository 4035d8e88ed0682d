import { formatTable, KUBECTL_TABLE, SEED_TABLE } from './tab-writer';

describe('formatTable', () => {
  it('pads every column but the last to the widest cell plus padding, at least the minimum width', () => {
    const out = formatTable(
      [
        ['ID', 'Labels', 'Port'],
        ['redismaster', '', '10000'],
        ['a-rather-long-service-name', 'name=x', '1'],
      ],
      SEED_TABLE,
    );
    expect(out.split('\n')).toEqual([
      // 26 characters + 3 of padding = 29; "Labels" is padded to the 20-character minimum.
      'ID'.padEnd(29) + 'Labels'.padEnd(20) + 'Port',
      'redismaster'.padEnd(29) + ''.padEnd(20) + '10000',
      'a-rather-long-service-name   ' + 'name=x'.padEnd(20) + '1',
      '',
    ]);
  });

  it('uses the kubectl widths', () => {
    expect(formatTable([['NAME', 'AGE'], ['a', '1s']], KUBECTL_TABLE)).toBe('NAME      AGE\na         1s\n');
  });
});
