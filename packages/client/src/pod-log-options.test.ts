import { parsePodLogOptions, podLogQuery } from './pod-log-options';

const NOW = Date.parse('2026-12-05T12:00:00Z');
const parse = (q: string) => parsePodLogOptions(new URLSearchParams(q), NOW);

describe('pod log options', () => {
  it('reads what kubectl logs sends and forwards it with sinceSeconds turned into a time', () => {
    const o = parse('follow=true&tailLines=10&sinceSeconds=60&timestamps=true&previous=false&limitBytes=100&container=c');
    expect(o).toEqual({ follow: true, previous: false, timestamps: true, tailLines: 10, sinceTime: NOW - 60_000, limitBytes: 100 });
    expect(podLogQuery(o).toString()).toBe('follow=true&timestamps=true&tailLines=10&sinceTime=2026-12-05T11%3A59%3A00.000Z&limitBytes=100');
    expect(parsePodLogOptions(podLogQuery(o), 0)).toEqual(o);
    expect(parse('tail=0')).toEqual({ follow: false, previous: false, timestamps: false, tailLines: 0 });
    expect(parse('sinceTime=2026-12-05T10:00:00%2B01:00').sinceTime).toBe(Date.parse('2026-12-05T09:00:00Z'));
    expect(parse('')).toEqual({ follow: false, previous: false, timestamps: false });
  });

  it.each([
    ['follow=yes', 'invalid follow "yes": must be true or false'],
    ['tailLines=-1', 'invalid tailLines "-1": must be a non-negative integer'],
    ['tail=x', 'invalid tail "x": must be a non-negative integer'],
    ['sinceSeconds=0', 'invalid sinceSeconds "0": must be a positive integer'],
    ['sinceTime=yesterday', 'invalid sinceTime "yesterday": must be an RFC 3339 time such as 2026-12-05T10:00:00Z'],
    ['sinceSeconds=5&sinceTime=2026-12-05T10:00:00Z', 'invalid sinceSeconds "5": only one of sinceSeconds and sinceTime may be given'],
    ['limitBytes=0', 'invalid limitBytes "0": must be a positive integer'],
  ])('%s is refused: %s', (q, message) => {
    expect(() => parse(q)).toThrow(message);
  });
});
