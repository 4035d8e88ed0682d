import { BadRequestError } from './errors';
import { formatSelector, parseFieldSelector, parseSelector, selectorFromMap } from './selector';

describe('label selectors', () => {
  const frontend = { name: 'frontend', tier: 'web' };
  const slave = { name: 'redisslave', tier: 'db' };
  const bare = {};

  const cases: [string, boolean[]][] = [
    ['', [true, true, true]],
    ['name=frontend', [true, false, false]],
    ['name==frontend', [true, false, false]],
    ['name!=frontend', [false, true, true]],
    ['tier in (web, db)', [true, true, false]],
    ['tier notin (web)', [false, true, true]],
    ['tier', [true, true, false]],
    ['!tier', [false, false, true]],
    ['name=redisslave,tier=db', [false, true, false]],
    ['name=redisslave, tier in (web)', [false, false, false]],
    ['tier=', [false, false, false]],
  ];
  it.each(cases)('%s', (sel, expected) => {
    const s = parseSelector(sel);
    expect([frontend, slave, bare].map((l) => s.matches(l))).toEqual(expected);
  });

  it.each(cases)('%s: the JSON prefilter passes every object that matches, however the JSON is spaced', (sel, expected) => {
    const s = parseSelector(sel);
    [frontend, slave, bare].forEach((labels, i) => {
      const obj = { kind: 'Pod', metadata: { name: 'p', labels } };
      for (const json of [JSON.stringify(obj), JSON.stringify(obj, null, 2)]) {
        if (expected[i]) expect(s.mayMatchJson(Buffer.from(json))).toBe(true);
      }
    });
  });

  it('the JSON prefilter rejects objects without the wanted values, and defers the rest to matches()', () => {
    const json = (labels: Record<string, string>) => Buffer.from(JSON.stringify({ metadata: { name: 'rc-50-x', labels } }));
    expect(parseSelector('rc=rc-5').mayMatchJson(json({ rc: 'rc-50' }))).toBe(false); // quoted: no prefix match
    expect(parseSelector('rc in (rc-1, rc-2)').mayMatchJson(json({ rc: 'rc-3' }))).toBe(false);
    expect(parseSelector('tier').mayMatchJson(json({ name: 'x' }))).toBe(false);
    // The value elsewhere in the object passes the prefilter; matches() then decides.
    expect(parseSelector('rc=rc-50-x').mayMatchJson(json({ rc: 'other' }))).toBe(true);
    expect(parseSelector('rc!=a,!b').mayMatchJson(json({}))).toBe(true);
  });

  it('round-trips through toString', () => {
    const s = parseSelector('a=b,c!=d,e in (x,y),f notin (z),g,!h');
    expect(s.toString()).toBe('a=b,c!=d,e in (x,y),f notin (z),g,!h');
    expect(parseSelector(s.toString()).requirements).toEqual(s.requirements);
  });

  it.each([
    ['a=b,,c', '","'],
    ['a in x', '"x"'],
    ['a in (x', 'end of selector'],
    ['=b', '"="'],
    ['a=b c', '"c"'],
    ['a=$', '"$"'],
    ['-bad=x', '"-bad"'],
  ])('rejects %s naming %s', (sel, token) => {
    expect(() => parseSelector(sel)).toThrow(BadRequestError);
    expect(() => parseSelector(sel)).toThrow(token);
  });

  it('builds and formats selectors from maps', () => {
    expect(formatSelector({ tier: 'web', name: 'frontend' })).toBe('name=frontend,tier=web');
    expect(formatSelector({})).toBe('');
    const s = selectorFromMap({ name: 'frontend' });
    expect(s.matches(frontend)).toBe(true);
    expect(s.matches(slave)).toBe(false);
    expect(selectorFromMap({}).matches(bare)).toBe(true);
  });
});

describe('field selectors', () => {
  const bound = { metadata: { name: 'p1' }, spec: { nodeName: 'm1' } };
  const unbound = { metadata: { name: 'p2' }, spec: {} };
  it('selects by equality and inequality, a missing field reading as empty', () => {
    expect(parseFieldSelector('spec.nodeName=m1').matches(bound)).toBe(true);
    expect(parseFieldSelector('spec.nodeName=').matches(unbound)).toBe(true);
    expect(parseFieldSelector('spec.nodeName!=').matches(unbound)).toBe(false);
    expect(parseFieldSelector('metadata.name==p1,spec.nodeName=m1').matches(bound)).toBe(true);
    expect(() => parseFieldSelector('spec.nodeName~m1')).toThrow(BadRequestError);
  });
});
