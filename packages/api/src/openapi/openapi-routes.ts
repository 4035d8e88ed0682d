// GET /openapi/v3 (the index) and /openapi/v3/<api/v1 | apis/GROUP/VERSION> (one document each).
// kubectl asks for `application/com.github.proto-openapi.spec.v3@v1.0+protobuf` first and accepts
// JSON: we only ever answer JSON. The documents never change within a process, so the ETag is the
// hash kubectl already puts in the URL and an If-None-Match for it is answered 304.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteHandler } from '../router';
import { HttpError } from '../status';
import { sendJson } from '../http-response';
import { openApiPathOf, openApiV3Documents, openApiV3Index } from './openapi-v3';

export function openApiRoutes(): Array<{ path: string; handler: RouteHandler }> {
  const document = (req: IncomingMessage, res: ServerResponse, key: string): void => {
    const doc = openApiV3Documents().get(key);
    if (!doc) throw new HttpError(404, 'NotFound', `no OpenAPI document for ${key}`);
    const etag = `"${doc.hash}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { ETag: etag });
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(doc.body), ETag: etag, 'Cache-Control': 'no-cache, private' });
    res.end(doc.body);
  };
  return [
    { path: '/openapi/v3', handler: async (_req, res) => sendJson(res, 200, openApiV3Index()) },
    { path: '/openapi/v3/api/:version', handler: async (req, res, params) => document(req, res, openApiPathOf('', params.version!)) },
    { path: '/openapi/v3/apis/:group/:version', handler: async (req, res, params) => document(req, res, openApiPathOf(params.group!, params.version!)) },
  ];
}
