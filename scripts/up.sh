#!/usr/bin/env bash
# The README's first command: set up this machine, build, and bring a local cluster up.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-host.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build
exec node packages/coxswain/dist/main.js up "$@"
