#!/usr/bin/env bash
# The README's second command: set up this machine, build, and run every test suite
# (unit, integration on a real etcd, end-to-end on real etcd + Docker).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-host.sh
npm ci --no-audit --no-fund
npm run build
npm test -- --ci "$@"
