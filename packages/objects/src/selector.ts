// Label selectors (`a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, comma-separated)
// and the equality-only field selectors (`spec.nodeName=m1`, `metadata.name!=x`) that lists accept.
// A parse error is a BadRequestError naming the offending token.
import { BadRequestError } from './errors';

export type Operator = '=' | '!=' | 'in' | 'notin' | 'exists' | '!';

export interface Requirement {
  key: string;
  operator: Operator;
  /** One value for = and !=, one or more for in/notin, none for exists and !. */
  values: string[];
}

export type Labels = Record<string, string> | undefined;

export class LabelSelector {
  constructor(readonly requirements: readonly Requirement[]) {}

  /** The empty selector matches everything. */
  get empty(): boolean {
    return this.requirements.length === 0;
  }

  matches(labels: Labels): boolean {
    for (const r of this.requirements) {
      const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
      const v = has ? labels![r.key] : undefined;
      switch (r.operator) {
        case '=':
          if (v !== r.values[0]) return false;
          break;
        case '!=':
          if (v === r.values[0]) return false; // an absent label is "not equal"
          break;
        case 'in':
          if (!has || !r.values.includes(v!)) return false;
          break;
        case 'notin':
          if (has && r.values.includes(v!)) return false;
          break;
        case 'exists':
          if (!has) return false;
          break;
        case '!':
          if (has) return false;
          break;
      }
    }
    return true;
  }

  /**
   * A necessary condition on an object's stored JSON, checked without parsing it: the quoted value of
   * each `=` requirement, one of the quoted values of each `in`, and the quoted key of each `exists`
   * must occur in the bytes. Label keys and values never need escaping in JSON, so an object that
   * matches always passes (whatever the whitespace); one that passes is then decoded and matched
   * exactly. A selective list so decodes only its candidates, not every object in the range.
   */
  mayMatchJson(json: Uint8Array): boolean {
    this.needles ??= this.requirements.flatMap((r): Buffer[][] => {
      if (r.operator === '=' || r.operator === 'in') return [r.values.map((v) => Buffer.from(JSON.stringify(v)))];
      if (r.operator === 'exists') return [[Buffer.from(JSON.stringify(r.key))]];
      return [];
    });
    const bytes = Buffer.isBuffer(json) ? json : Buffer.from(json.buffer, json.byteOffset, json.byteLength);
    return this.needles.every((anyOf) => anyOf.some((needle) => bytes.includes(needle)));
  }

  private needles?: Buffer[][];

  toString(): string {
    return this.requirements
      .map((r) => {
        switch (r.operator) {
          case '=':
          case '!=':
            return `${r.key}${r.operator}${r.values[0]}`;
          case 'in':
          case 'notin':
            return `${r.key} ${r.operator} (${r.values.join(',')})`;
          case 'exists':
            return r.key;
          case '!':
            return `!${r.key}`;
        }
      })
      .join(',');
  }
}

export const everything = new LabelSelector([]);

// Label keys: an optional DNS-subdomain prefix and '/', then a name of at most 63 characters
// starting and ending alphanumeric. Values: empty or the same shape as a name.
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const PREFIX = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export function isValidLabelKey(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash < 0) return NAME.test(key);
  return PREFIX.test(key.slice(0, slash)) && NAME.test(key.slice(slash + 1));
}

export function isValidLabelValue(value: string): boolean {
  return value === '' || NAME.test(value);
}

type Token = { kind: 'ident' | 'op' | '(' | ')' | ',' | '!' | 'end'; text: string; pos: number };

function tokenize(input: string, fail: (msg: string) => never): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (c === ' ' || c === '\t') {
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: c, text: c, pos: i });
      i++;
    } else if (input.startsWith('!=', i) || input.startsWith('==', i)) {
      tokens.push({ kind: 'op', text: input.slice(i, i + 2), pos: i });
      i += 2;
    } else if (c === '=') {
      tokens.push({ kind: 'op', text: '=', pos: i });
      i++;
    } else if (c === '!') {
      tokens.push({ kind: '!', text: '!', pos: i });
      i++;
    } else if (/[A-Za-z0-9._\/-]/.test(c)) {
      const start = i;
      while (i < input.length && /[A-Za-z0-9._\/-]/.test(input[i])) i++;
      tokens.push({ kind: 'ident', text: input.slice(start, i), pos: start });
    } else {
      fail(`unexpected character "${c}" at position ${i}`);
    }
  }
  tokens.push({ kind: 'end', text: '', pos: input.length });
  return tokens;
}

/** Parses a label selector; throws BadRequestError naming the offending token. */
export function parseSelector(input: string | undefined): LabelSelector {
  if (input === undefined || input.trim() === '') return everything;
  const fail = (msg: string): never => {
    throw new BadRequestError(`invalid label selector "${input}": ${msg}`);
  };
  const tokens = tokenize(input, fail);
  let p = 0;
  const peek = () => tokens[p];
  const next = () => tokens[p++];
  const describe = (t: Token) => (t.kind === 'end' ? 'end of selector' : `"${t.text}" at position ${t.pos}`);
  const key = (): string => {
    const t = next();
    if (t.kind !== 'ident') fail(`expected a label key, found ${describe(t)}`);
    if (!isValidLabelKey(t.text)) fail(`invalid label key "${t.text}"`);
    return t.text;
  };
  const value = (): string => {
    const t = peek();
    // `a=` selects an empty value, as in Kubernetes
    if (t.kind !== 'ident') return '';
    p++;
    if (!isValidLabelValue(t.text)) fail(`invalid label value "${t.text}"`);
    return t.text;
  };

  const requirements: Requirement[] = [];
  for (;;) {
    if (peek().kind === '!') {
      next();
      requirements.push({ key: key(), operator: '!', values: [] });
    } else {
      const k = key();
      const t = peek();
      if (t.kind === 'op') {
        next();
        requirements.push({ key: k, operator: t.text === '!=' ? '!=' : '=', values: [value()] });
      } else if (t.kind === 'ident' && (t.text === 'in' || t.text === 'notin')) {
        next();
        const open = next();
        if (open.kind !== '(') fail(`expected "(" after "${t.text}", found ${describe(open)}`);
        const values: string[] = [];
        for (;;) {
          const v = next();
          if (v.kind !== 'ident') fail(`expected a value, found ${describe(v)}`);
          if (!isValidLabelValue(v.text)) fail(`invalid label value "${v.text}"`);
          values.push(v.text);
          const sep = next();
          if (sep.kind === ')') break;
          if (sep.kind !== ',') fail(`expected "," or ")", found ${describe(sep)}`);
        }
        requirements.push({ key: k, operator: t.text, values });
      } else {
        requirements.push({ key: k, operator: 'exists', values: [] });
      }
    }
    const sep = next();
    if (sep.kind === 'end') break;
    if (sep.kind !== ',') fail(`unexpected ${describe(sep)}`);
  }
  return new LabelSelector(requirements);
}

/** The selector `k1=v1,k2=v2` that an RC or a service's selector map means. */
export function selectorFromMap(map: Record<string, string> | undefined): LabelSelector {
  return new LabelSelector(
    Object.keys(map ?? {})
      .sort()
      .map((key) => ({ key, operator: '=' as const, values: [map![key]] })),
  );
}

/** `a=b,c=d`, keys sorted so that equal maps print equally. */
export function formatSelector(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((k) => `${k}=${map![k]}`)
    .join(',');
}

// ---- field selectors ------------------------------------------------------------------------------

export interface FieldRequirement {
  /** A dotted path such as `spec.nodeName` or `metadata.name`. */
  field: string;
  operator: '=' | '!=';
  value: string;
}

export class FieldSelector {
  constructor(readonly requirements: readonly FieldRequirement[]) {}

  get empty(): boolean {
    return this.requirements.length === 0;
  }

  matches(obj: unknown): boolean {
    for (const r of this.requirements) {
      let v: unknown = obj;
      for (const part of r.field.split('.')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
      // A missing field reads as "", so `spec.nodeName=` selects unbound pods.
      const s = v === undefined || v === null ? '' : String(v);
      if ((s === r.value) !== (r.operator === '=')) return false;
    }
    return true;
  }
}

const FIELD_PATH = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/;

/** Parses `spec.nodeName=m1,metadata.name!=x`; throws BadRequestError naming the bad term. */
export function parseFieldSelector(input: string | undefined): FieldSelector {
  if (input === undefined || input.trim() === '') return new FieldSelector([]);
  const requirements = input.split(',').map((term): FieldRequirement => {
    const m = /^\s*([^=!\s]+)\s*(==|=|!=)\s*([^\s]*)\s*$/.exec(term);
    if (!m || !FIELD_PATH.test(m[1])) throw new BadRequestError(`invalid field selector "${input}": cannot parse "${term}"`);
    return { field: m[1], operator: m[2] === '!=' ? '!=' : '=', value: m[3] };
  });
  return new FieldSelector(requirements);
}
