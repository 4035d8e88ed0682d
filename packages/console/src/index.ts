// The console's server side is only a place: the folder of built assets (index.html, app.js,
// console.css) that `npm run build` writes with esbuild from web/. The API server serves it at /ui;
// the page itself talks to the API like any other client (lists, WebSocket watches, bearer token).
import { join } from 'node:path';

/** The folder of the built page. Missing until `npm run build` has run. */
export const CONSOLE_ASSETS_DIR = join(__dirname, '..', 'web-dist');
