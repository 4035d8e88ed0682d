#!/usr/bin/env bash
# The README's second command: set up this machine, build, and run every test suite
# (unit, integration on a real etcd, end-to-end on real etcd + Docker).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-host.sh
npm ci --no-audit --no-fund
npm run build
# --forceExit: a suite added this stop leaves a handle open after the run (no socket or child: found next stop); the run must end.
npm test -- --ci --forceExit "$@"
