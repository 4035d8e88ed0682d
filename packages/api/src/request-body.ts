// Reading a request body: bounded (413 as soon as the limit is crossed, without buffering the rest)
// and parsed as JSON (400 with the parser's complaint).
import type { IncomingMessage } from 'node:http';
import { HttpError, badRequest } from './status';

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
  const value = parseJson(buf);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest(`request body must be a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
  }
  return value as Record<string, unknown>;
}
