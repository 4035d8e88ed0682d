#!/usr/bin/env node
// The `coxswain` executable: a committed shim so that `npm ci && npm run build` links a runnable bin.
require('../dist/main.js').main();
