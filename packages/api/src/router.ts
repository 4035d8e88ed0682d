// The route table, on find-my-way. A path that exists under another method is a 405 (with Allow),
// a path that exists under none is a 404.
import FindMyWay from 'find-my-way';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './status';

export type Params = Record<string, string | undefined>;
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, params: Params, query: URLSearchParams) => Promise<void>;

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;
type Method = (typeof METHODS)[number];

export interface RouteMatch {
  handler: RouteHandler;
  params: Params;
  query: URLSearchParams;
}

export class Router {
  private readonly fmw = FindMyWay({ ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 1000 });

  on(methods: Method | Method[], path: string, handler: RouteHandler): this {
    // The handler rides in find-my-way's per-route store so that lookups stay typed.
    this.fmw.on(methods, path, () => undefined, { handler });
    return this;
  }

  /** Finds the route for a request, or throws 404/405. */
  match(method: string, url: string): RouteMatch {
    const q = url.indexOf('?');
    const path = q >= 0 ? url.slice(0, q) : url;
    const query = new URLSearchParams(q >= 0 ? url.slice(q + 1) : '');
    const found = this.fmw.find(method as Method, path);
    if (found) return { handler: (found.store as { handler: RouteHandler }).handler, params: found.params, query };
    const allowed = METHODS.filter((m) => m !== method && this.fmw.find(m, path));
    if (allowed.length > 0) {
      throw new HttpError(405, 'MethodNotAllowed', `method ${method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`, undefined, {
        Allow: allowed.join(', '),
      });
    }
    throw new HttpError(404, 'NotFound', `the server could not find the requested resource: ${path}`);
  }
}
