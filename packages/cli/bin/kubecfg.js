#!/usr/bin/env node
// Committed (and executable in git) so that `npm ci` links the bin before anything is built:
// tsc's dist/main.js does not exist at install time and is emitted without an executable bit.
require('../dist/main.js');
