#!/usr/bin/env bash
# The adapters' behavior table on the newest Node LTS (issue: Node 20 and newest LTS), taken from
# the npm registry (node-linux-<arch> ships the official binary inside the package).
# Usage: bash scripts/test-newest-lts.sh [major]   (default 26, LTS since October 2026)
set -euo pipefail
cd "$(dirname "$0")/.."
major="${1:-26}"
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "no node-linux package for $(uname -m)" >&2; exit 1 ;;
esac
prefix="${TMPDIR:-/tmp}/http-gssapi-node${major}"
node_bin="$prefix/node_modules/node-linux-${arch}/bin/node"
if [[ ! -x "$node_bin" ]]; then
  npm install --prefix "$prefix" --no-audit --no-fund --no-save "node-linux-${arch}@${major}" >/dev/null
fi
echo "adapter behavior table on Node $("$node_bin" --version)"
[[ -d build/test ]] || npm run --silent build:test
"$node_bin" --test --test-concurrency=1 --test-reporter=tap \
  build/test/unit/negotiate-fetch.test.js build/test/unit/axios.test.js build/test/unit/got.test.js \
  build/test/unit/ky.test.js build/test/unit/undici.test.js \
  build/test/integration/fetch.test.js build/test/integration/adapters.test.js build/test/integration/undici.test.js
