// meta.k8s.io Tables: what kubectl asks for (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`)
// when it prints `get`. The server fills the cells, so kubectl shows each kind's columns without
// knowing the kind; the columns are the ones kubecfg prints (objects/table-columns.ts). Lists, single
// objects and watch events (one row each, the headers on the first) are served as Tables.
import type { IncomingMessage } from 'node:http';
import { formatAge, tableCellTemplates, tableColumns } from '@coxswain/objects';
import type { KubeObject, ResourceName } from '@coxswain/objects';
import type { Codec } from './codecs/codec';
import type { EncodingCache } from './encoding-cache';
import { badRequest } from './status';

/** What a row carries besides its cells (`?includeObject=`): nothing, the object's metadata (the default), or the object. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableOptions {
  /** meta.k8s.io/v1 or meta.k8s.io/v1beta1, as asked. */
  apiVersion: string;
  includeObject: IncludeObject;
}

/**
 * The Table a request asks for, or undefined for plain objects: the first media range of Accept
 * that is a meta.k8s.io Table wins if it comes before any plain JSON range.
 */
export function tableOptions(req: IncomingMessage, query: URLSearchParams): TableOptions | undefined {
  const accept = req.headers.accept ?? '';
  for (const range of accept.split(',')) {
    const [type, ...paramParts] = range.split(';').map((p) => p.trim());
    const params = new Map(paramParts.map((p) => p.split('=').map((x) => x.trim()) as [string, string]));
    if (type !== 'application/json' && type !== '*/*' && type !== 'application/*') continue;
    if (params.get('as') !== 'Table') {
      if (!params.has('as')) return undefined; // plain JSON is acceptable first
      continue;
    }
    const version = params.get('v');
    if (params.get('g') !== 'meta.k8s.io' || (version !== 'v1' && version !== 'v1beta1')) continue;
    return { apiVersion: `meta.k8s.io/${version}`, includeObject: includeObjectOf(query) };
  }
  return undefined;
}

function includeObjectOf(query: URLSearchParams): IncludeObject {
  const value = query.get('includeObject') ?? 'Metadata';
  if (value === 'None' || value === 'Metadata' || value === 'Object') return value;
  throw badRequest(`invalid includeObject "${value}": one of None, Metadata, Object`, {
    causes: [{ field: 'includeObject', message: 'must be None, Metadata or Object', reason: 'FieldValueNotSupported' }],
  });
}

/** The Table's head: kind, apiVersion, metadata and (unless left out, as in a watch's later events) the column definitions. */
export function tableEnvelope(opts: TableOptions, resource: ResourceName, resourceVersion: string | undefined, withColumns = true): Record<string, unknown> {
  return {
    kind: 'Table',
    apiVersion: opts.apiVersion,
    metadata: resourceVersion ? { resourceVersion } : {},
    columnDefinitions: withColumns ? tableColumns(resource) : [],
  };
}

/** What a row is built from: an object, and where its keys are for the encoding cache. */
export interface RowSource {
  namespace?: string;
  name: string;
  resourceVersion?: string;
  object(): KubeObject;
}

const AGE_TEMPLATE = /\{"since":"([^"\\]*)"\}/g;
/** Where a row's cells end: `],"object":` cannot occur unescaped inside a JSON string. */
const CELLS_END = '],"object":';

/**
 * One row as JSON text: the cells and, per includeObject, the object's metadata or the object in the
 * codec's version. The row apart from its ages is kept in the encoding cache per object version, so a
 * repeated `kubectl get` costs what a repeated plain LIST does, plus counting the ages.
 */
export function tableRow(opts: TableOptions, codec: Codec, resource: ResourceName, src: RowSource, age: AgeCounter, encodings?: EncodingCache): string {
  const build = () => {
    const obj = src.object();
    const cells = JSON.stringify(tableCellTemplates(resource, obj));
    switch (opts.includeObject) {
      case 'None':
        return `{"cells":${cells}}`;
      case 'Object':
        return `{"cells":${cells},"object":${encodings ? encodings.encode(codec, resource, obj) : JSON.stringify(codec.encode(obj))}}`;
      default:
        return `{"cells":${cells},"object":${JSON.stringify({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata })}}`;
    }
  };
  const template = encodings ? encodings.text(`table/${opts.includeObject}/${codec.version}`, resource, src.namespace, src.name, src.resourceVersion, build) : build();
  const end = template.indexOf(CELLS_END);
  const cells = end < 0 ? template : template.slice(0, end);
  const filled = cells.replace(AGE_TEMPLATE, (_m, since: string) => age(since));
  return end < 0 ? filled : filled + template.slice(end);
}

/** Ages counted to one instant, as JSON strings; objects of one list share their creation seconds, so each is counted once. */
export type AgeCounter = (since: string) => string;

export function ageCounter(now: number): AgeCounter {
  const memo = new Map<string, string>();
  return (since) => {
    let age = memo.get(since);
    if (age === undefined) {
      age = JSON.stringify(formatAge(since, now));
      memo.set(since, age);
    }
    return age;
  };
}

/** An object as a RowSource. */
export function rowSource(obj: KubeObject): RowSource {
  return { namespace: obj.metadata.namespace, name: obj.metadata.name, resourceVersion: obj.metadata.resourceVersion, object: () => obj };
}

/** A whole Table of the given objects, as JSON text. */
export function tableDocument(opts: TableOptions, codec: Codec, resource: ResourceName, objects: readonly KubeObject[], resourceVersion: string | undefined, now: number, withColumns = true, encodings?: EncodingCache): string {
  const head = JSON.stringify(tableEnvelope(opts, resource, resourceVersion, withColumns));
  const age = ageCounter(now);
  return `${head.slice(0, -1)},"rows":[${objects.map((o) => tableRow(opts, codec, resource, rowSource(o), age, encodings)).join(',')}]}`;
}
