#!/usr/bin/env bash
# The README's second command: set up this machine, build, and run every test suite
# (unit, integration on a real etcd, end-to-end on real etcd + Docker).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-host.sh
npm ci --no-audit --no-fund
npm run build
# --forceExit: a suite added this stop leaves a handle open after the run (no socket or child: found next stop); the run must end.
# The run's output is also kept in $COXSWAIN_TEST_LOG (default /var/log/coxswain-test.log): a failed CI
# run on a machine that outlives its clone leaves which test failed, and why.
log="${COXSWAIN_TEST_LOG:-/var/log/coxswain-test.log}"
if ! touch "$log" 2>/dev/null; then log=/dev/null; fi
npm test -- --ci --forceExit "$@" 2>&1 | tee "$log"
