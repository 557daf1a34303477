#!/usr/bin/env bash
# The whole test suite, on a fresh Debian/Ubuntu machine as root: installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
# Wine and the Windows build of Node for the SSPI tests (~700 MB; they skip with the reason when
# it cannot be installed; nothing here fails the run).
bash scripts/install-wine.sh
[[ -d node_modules/koffi ]] || npm ci --no-audit --no-fund
npm test
