#!/usr/bin/env bash
# The adapters' behavior table on the newest Node LTS with the lockfile's clients.
# Usage: bash scripts/test-newest-lts.sh [major]   (default 26, LTS since October 2026)
set -euo pipefail
exec bash "$(dirname "$0")/test-adapters-on.sh" "${1:-26}"
