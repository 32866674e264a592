#!/usr/bin/env bash
# The README's test command: installs what the tests need on Debian 12 (as root), then runs them all.
set -euo pipefail
cd "$(dirname "$0")/.."
export npm_config_loglevel=error npm_config_fund=false npm_config_audit=false
bash scripts/install-system-deps.sh --test
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm test
