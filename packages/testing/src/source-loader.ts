// A `node -e` script prelude that lets a child process require the workspace's TypeScript sources
// directly (transpiled on require, `@coxswain/<pkg>` mapped to packages/<pkg>/src), so a test can run a
// real component in its own process, SIGKILL it, and start it again without a build step.
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '../../..');

const LOADER = `
const fs = require('fs'), path = require('path'), Module = require('module');
const ts = require(require.resolve('typescript', { paths: [ROOT] }));
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const m = /^@coxswain\\/([a-z0-9-]+)$/.exec(request);
  if (m) request = path.join(ROOT, 'packages', m[1], 'src', 'index.ts');
  return resolve.call(this, request, parent, ...rest);
};
require.extensions['.ts'] = (module, filename) => {
  const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, sourceMap: false },
  }).outputText;
  module._compile(out, filename);
};
`;

/** The `node -e` argument: the loader, then `body` (plain JavaScript that may require `.ts` files under ROOT). */
export function sourceScript(body: string): string {
  return `const ROOT = ${JSON.stringify(ROOT)};\n${LOADER}\n${body}`;
}
