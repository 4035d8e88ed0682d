// A Kubernetes protobuf body (`application/vnd.kubernetes.protobuf`) as the JSON object it stands
// for. kubectl 1.32 sends protobuf for its `create <kind>` subcommands (namespace, deployment,
// service, configmap, secret, quota) and JSON for everything else; rather than a second object
// model, the body is turned into the JSON the same command sends with `-o json`, and goes on
// through the ordinary path (schema, codec, registry).
import { DECODABLE_KINDS, DECODABLE_VERSION, FieldType, MESSAGES } from './k8s-messages';
import { ProtobufError, readFields, type WireField } from './wire-reader';

/** "k8s\0": what every Kubernetes protobuf document starts with, before its runtime.Unknown envelope. */
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

export { ProtobufError };

const text = (f: WireField) => (f.value.kind === 'bytes' ? f.value.value.toString('utf8') : '');
const varint = (f: WireField) => (f.value.kind === 'varint' ? f.value.value : 0n);
/** int64/int32 in two's complement: a negative int32 arrives as a ten-byte varint. */
const signed = (v: bigint) => Number(BigInt.asIntN(64, v));

function decodeMessage(name: string, buf: Buffer): Record<string, unknown> {
  const def = MESSAGES[name];
  if (!def) throw new ProtobufError(`no decoder for message ${name}`);
  const out: Record<string, unknown> = {};
  for (const f of readFields(buf)) {
    const field = def[f.number];
    if (!field) continue;
    const [key, type, repeated] = field;
    if (typeof type === 'object' && 'map' in type) {
      const map = (out[key] ??= {}) as Record<string, unknown>;
      const entry = f.value.kind === 'bytes' ? readFields(f.value.value) : [];
      const k = entry.find((e) => e.number === 1);
      const v = entry.find((e) => e.number === 2);
      map[k ? text(k) : ''] = mapValue(type.map, v);
      continue;
    }
    const value = scalar(type, f);
    if (value === undefined) continue;
    if (repeated) ((out[key] ??= []) as unknown[]).push(value);
    else out[key] = value;
  }
  return out;
}

function mapValue(type: 'string' | 'bytes' | 'quantity', v: WireField | undefined): string {
  if (!v || v.value.kind !== 'bytes') return '';
  if (type === 'bytes') return v.value.value.toString('base64');
  if (type === 'quantity') return quantity(v.value.value);
  return v.value.value.toString('utf8');
}

function quantity(buf: Buffer): string {
  const s = readFields(buf).find((f) => f.number === 1);
  return s ? text(s) : '';
}

/** A field's JSON value; undefined for a zero value that Go's JSON would omit. */
function scalar(type: FieldType, f: WireField): unknown {
  if (typeof type === 'object' && 'message' in type) {
    if (f.value.kind !== 'bytes') throw new ProtobufError(`field ${f.number} of message ${type.message} is not length-delimited`);
    const m = decodeMessage(type.message, f.value.value);
    return Object.keys(m).length > 0 ? m : undefined;
  }
  switch (type) {
    case 'string': {
      const s = text(f);
      return s === '' ? undefined : s;
    }
    case 'int':
    case 'int0': {
      const n = signed(varint(f));
      return n === 0 && type === 'int' ? undefined : n;
    }
    case 'bool':
    case 'bool0': {
      const b = varint(f) !== 0n;
      return !b && type === 'bool' ? undefined : b;
    }
    case 'quantity':
      return f.value.kind === 'bytes' ? quantity(f.value.value) : undefined;
    case 'time': {
      if (f.value.kind !== 'bytes') return undefined;
      const seconds = readFields(f.value.value).find((x) => x.number === 1);
      const s = seconds ? signed(varint(seconds)) : 0;
      return s === 0 ? undefined : new Date(s * 1000).toISOString().replace('.000Z', 'Z');
    }
    case 'intOrString': {
      if (f.value.kind !== 'bytes') return undefined;
      const fields = readFields(f.value.value);
      const kind = fields.find((x) => x.number === 1);
      if (kind && varint(kind) === 1n) {
        const s = fields.find((x) => x.number === 3);
        return s ? text(s) : '';
      }
      const i = fields.find((x) => x.number === 2);
      return i ? signed(varint(i)) : 0;
    }
  }
}

/**
 * The JSON object of a protobuf body. Throws ProtobufError for a body that is not Kubernetes
 * protobuf, or carries a kind this server does not decode (the message names the kinds it does).
 */
export function decodeProtobufObject(body: Buffer): Record<string, unknown> {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new ProtobufError('not a Kubernetes protobuf document (no "k8s\\0" prefix)');
  }
  const envelope = readFields(body.subarray(MAGIC.length));
  const typeMeta = envelope.find((f) => f.number === 1);
  const raw = envelope.find((f) => f.number === 2);
  const tm = typeMeta && typeMeta.value.kind === 'bytes' ? readFields(typeMeta.value.value) : [];
  const apiVersion = text(tm.find((f) => f.number === 1) ?? { number: 1, value: { kind: 'varint', value: 0n } });
  const kind = text(tm.find((f) => f.number === 2) ?? { number: 2, value: { kind: 'varint', value: 0n } });
  if (!DECODABLE_KINDS.includes(kind)) {
    throw new ProtobufError(`protobuf bodies are decoded for ${DECODABLE_KINDS.join(', ')}; kind "${kind || '(none)'}" must be sent as JSON`);
  }
  const version = DECODABLE_VERSION[kind];
  if (version && apiVersion !== version) throw new ProtobufError(`protobuf bodies of kind ${kind} are decoded for ${version}; ${apiVersion || '(no version)'} must be sent as JSON`);
  if (!raw || raw.value.kind !== 'bytes') throw new ProtobufError(`the ${kind} has no body`);
  return { apiVersion, kind, ...decodeMessage(kind, raw.value.value) };
}
