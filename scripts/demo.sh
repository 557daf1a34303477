#!/usr/bin/env bash
# The demo: a throwaway Kerberos realm, a protected server, an authenticated request with its trace.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
[[ -d node_modules/koffi ]] || npm ci --no-audit --no-fund
npm run --silent demo
