// Serves the web console's built page at /ui. The files are public (no secret in them), so they are
// sent without a token, like /healthz: the page must load before it can ask for one. Everything the
// page then reads goes through the API with the bearer token.
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { ServerResponse } from 'node:http';
import { notFound } from './status';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

export const CONSOLE_PATH = '/ui';

/** True for the paths the console answers: /ui, /ui/ and /ui/<file>. */
export function isConsolePath(urlPath: string): boolean {
  return urlPath === CONSOLE_PATH || urlPath.startsWith(CONSOLE_PATH + '/');
}

/**
 * The built files, read once at start-up: only names found in the folder are served, so no request
 * path can reach outside it. A folder that is missing (no `npm run build`) answers 404 with the reason.
 */
export class ConsoleAssets {
  private readonly files = new Map<string, Buffer>();

  constructor(private readonly dir: string) {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      /* not built: every request says so */
    }
    for (const name of names) if (CONTENT_TYPES[extname(name)]) this.files.set(name, readFileSync(join(dir, name)));
  }

  serve(urlPath: string, res: ServerResponse): void {
    const name = urlPath === CONSOLE_PATH || urlPath === CONSOLE_PATH + '/' ? 'index.html' : urlPath.slice(CONSOLE_PATH.length + 1);
    const body = this.files.get(name);
    if (!body) {
      throw notFound(this.files.size === 0 ? `the console is not built (no files in ${this.dir}): run npm run build` : `no console file "${name}"`);
    }
    res.writeHead(200, { 'Content-Type': CONTENT_TYPES[extname(name)]!, 'Content-Length': body.length, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
    res.end(body);
  }
}
