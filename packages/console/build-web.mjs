// Builds the page: web/main.js and its imports (preact, htm) bundled by esbuild into web-dist/app.js,
// beside index.html and console.css. Everything the browser loads comes from the API server: no CDN.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'web-dist');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(here, 'web', 'main.js')],
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'esm',
  target: 'es2020',
  outfile: join(out, 'app.js'),
  logLevel: 'warning',
});
for (const f of ['index.html', 'console.css']) copyFileSync(join(here, 'web', f), join(out, f));
