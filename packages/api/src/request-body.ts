// Reading a request body: bounded (413 as soon as the limit is crossed, without buffering the rest)
// and parsed as JSON or YAML by its Content-Type (415 for any other; 400 with the parser's complaint).
import type { IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { HttpError, badRequest } from './status';
import { decodeProtobufObject, ProtobufError } from './protobuf/decode-protobuf';

export const JSON_MEDIA_TYPE = 'application/json';
export const YAML_MEDIA_TYPE = 'application/yaml';
export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';
/** What a create or an update takes, as the Kubernetes API server does (protobuf for the kinds kubectl's `create` subcommands send). */
const OBJECT_MEDIA_TYPES = [JSON_MEDIA_TYPE, YAML_MEDIA_TYPE, PROTOBUF_MEDIA_TYPE];

export const DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024;

export class BodyTooLargeError extends HttpError {
  constructor(limit: number) {
    super(413, 'RequestEntityTooLarge', `request body exceeds the limit of ${limit} bytes`);
  }
}

/** Reads at most `limit` bytes; rejects with 413 (and stops reading) when the body is larger. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new BodyTooLargeError(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      if (err) reject(err);
      else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        req.pause();
        finish(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish();
    const onError = (e: Error) => finish(badRequest(`error reading request body: ${e.message}`));
    const onAborted = () => finish(badRequest('request aborted'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

/** A request's Content-Type without its parameters, in lower case; '' when it sent none. */
export function mediaTypeOf(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

export function unsupportedMediaType(type: string, accepted: string[]): HttpError {
  return new HttpError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format ("${type || 'none'}") - accepted media types include: ${accepted.join(', ')}`);
}

/**
 * The object a create or an update sends: JSON, or YAML under application/yaml. A body sent with no
 * Content-Type is read as JSON, as the Kubernetes API server reads it (its first media type); any
 * other type is a 415, refused before the body is read.
 */
export async function readObjectBody(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const type = mediaTypeOf(req) || JSON_MEDIA_TYPE;
  if (!OBJECT_MEDIA_TYPES.includes(type)) throw unsupportedMediaType(type, OBJECT_MEDIA_TYPES);
  const buf = await readBody(req, limit);
  if (type === PROTOBUF_MEDIA_TYPE) return parseProtobufObject(buf);
  return type === YAML_MEDIA_TYPE ? parseYamlObject(buf) : parseJsonObject(buf);
}

/** A protobuf body as its JSON object: 415 for a kind not decoded here (send JSON), 400 for a malformed one. */
function parseProtobufObject(buf: Buffer): Record<string, unknown> {
  try {
    return decodeProtobufObject(buf);
  } catch (e) {
    if (!(e instanceof ProtobufError)) throw e;
    if (e.message.startsWith('protobuf bodies are decoded for')) throw new HttpError(415, 'UnsupportedMediaType', e.message);
    throw badRequest(`malformed protobuf body: ${e.message}`);
  }
}

/** Parses a YAML body that must be one mapping (one document; aliases capped, so no "billion laughs"). */
export function parseYamlObject(buf: Buffer): Record<string, unknown> {
  const text = buf.toString('utf8');
  if (text.trim() === '') throw badRequest('request body is empty; expected a YAML mapping');
  let value: unknown;
  try {
    value = parseYaml(text, { maxAliasCount: 100, uniqueKeys: true });
  } catch (e) {
    throw badRequest(`malformed YAML in request body: ${(e as Error).message.split('\n')[0]}`);
  }
  return asObject(value, 'a YAML mapping');
}

/** Parses a JSON body of any shape (`expected` names it in the empty-body message). */
export function parseJson(buf: Buffer, expected = 'a JSON object'): unknown {
  const text = buf.toString('utf8');
  if (text.trim() === '') throw badRequest(`request body is empty; expected ${expected}`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw badRequest(`malformed JSON in request body: ${(e as Error).message}`);
  }
}

/** Parses a JSON body that must be an object. */
export function parseJsonObject(buf: Buffer): Record<string, unknown> {
  return asObject(parseJson(buf), 'a JSON object');
}

function asObject(value: unknown, expected: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest(`request body must be ${expected}, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
  }
  return value as Record<string, unknown>;
}
