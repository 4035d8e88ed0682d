import { mkdtempSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsoleAssets, isConsolePath } from './console-assets';
import { HttpError } from './status';

function recorder() {
  const sent: { code?: number; headers?: Record<string, unknown>; body?: Buffer } = {};
  const res = {
    writeHead(code: number, headers: Record<string, unknown>) {
      sent.code = code;
      sent.headers = headers;
    },
    end(body: Buffer) {
      sent.body = body;
    },
  } as unknown as ServerResponse;
  return { res, sent };
}

describe('the console files at /ui', () => {
  const dir = mkdtempSync(join(tmpdir(), 'console-assets-'));
  writeFileSync(join(dir, 'index.html'), '<html></html>');
  writeFileSync(join(dir, 'app.js'), 'export {}');
  writeFileSync(join(dir, 'secret.txt'), 'not served');
  const assets = new ConsoleAssets(dir);

  it('answers /ui and /ui/ with the page and /ui/app.js with its type', () => {
    for (const path of ['/ui', '/ui/']) {
      const { res, sent } = recorder();
      assets.serve(path, res);
      expect(sent.code).toBe(200);
      expect(sent.headers?.['Content-Type']).toMatch(/text\/html/);
      expect(sent.body?.toString()).toBe('<html></html>');
    }
    const { res, sent } = recorder();
    assets.serve('/ui/app.js', res);
    expect(sent.headers?.['Content-Type']).toMatch(/javascript/);
  });

  it.each(['/ui/secret.txt', '/ui/../package.json', '/ui/%2e%2e/x.js', '/ui/nope.js'])('refuses %s with 404', (path) => {
    expect(() => assets.serve(path, recorder().res)).toThrow(HttpError);
  });

  it('a folder not built says how to build it', () => {
    expect(() => new ConsoleAssets(join(dir, 'missing')).serve('/ui', recorder().res)).toThrow(/not built.*npm run build/);
  });

  it('owns /ui and below only', () => {
    expect(['/ui', '/ui/', '/ui/app.js'].every(isConsolePath)).toBe(true);
    expect(['/uix', '/api/v1/pods', '/'].some(isConsolePath)).toBe(false);
  });
});
