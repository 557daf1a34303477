#!/usr/bin/env bash
# The whole test suite, on a fresh Debian/Ubuntu machine as root: installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
[[ -d node_modules/koffi ]] || npm ci --no-audit --no-fund
npm test
