#!/usr/bin/env bash
# The adapters' behavior table on another Node major, optionally with other client majors than the
# lockfile's. Node comes from the npm registry (node-linux-<arch> ships the official binary inside
# the package); the clients are installed into a prefix of their own and linked into a scratch
# copy of build/, so the lockfile and this checkout's node_modules stay as they are.
# Usage: bash scripts/test-adapters-on.sh <node-major> [client@range ...]
#   e.g. bash scripts/test-adapters-on.sh 22 ky@2 got@15 undici@8
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
major="${1:?usage: test-adapters-on.sh <node-major> [client@range ...]}"
shift
clients=("$@")
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "no node-linux package for $(uname -m)" >&2; exit 1 ;;
esac
tmp="${TMPDIR:-/tmp}"
prefix="$tmp/http-gssapi-node${major}"
node_bin="$prefix/node_modules/node-linux-${arch}/bin/node"
if [[ ! -x "$node_bin" ]]; then
  npm install --prefix "$prefix" --no-audit --no-fund --no-save "node-linux-${arch}@${major}" >/dev/null
fi
[[ -d build/test ]] || npm run --silent build:test
# The demo among the examples runs the command from dist/.
[[ -f dist/cli/main.js ]] || npm run --silent build

run_dir="$repo/build"
if ((${#clients[@]} > 0)); then
  # The clients' own prefix, named after what was asked for; npm picks the newest of each range.
  name="$(printf '%s_' "${clients[@]}" | tr -c 'A-Za-z0-9_.-' '_')"
  client_prefix="$tmp/http-gssapi-clients-${name}"
  if [[ ! -d "$client_prefix/node_modules" ]]; then
    # --engine-strict off: npm runs on this machine's Node, the tests on $node_bin.
    npm install --prefix "$client_prefix" --no-audit --no-fund --no-save --loglevel=error \
      --engine-strict=false "${clients[@]}" >/dev/null
  fi
  # A scratch copy of build/ whose node_modules links this checkout's packages, except the
  # clients asked for, which link into their prefix (their dependencies resolve from there).
  scratch="$tmp/http-gssapi-adapters-node${major}-${name}"
  rm -rf "$scratch"
  mkdir -p "$scratch/node_modules"
  cp -r build "$scratch/build"
  cp -r dist "$scratch/dist"
  cp package.json "$scratch/package.json"
  for entry in "$repo"/node_modules/* "$repo"/node_modules/.bin; do
    ln -s "$entry" "$scratch/node_modules/$(basename "$entry")"
  done
  for spec in "${clients[@]}"; do
    pkg="${spec%@*}"
    rm -f "$scratch/node_modules/$pkg"
    ln -s "$client_prefix/node_modules/$pkg" "$scratch/node_modules/$pkg"
  done
  run_dir="$scratch/build"
fi

versions=""
for pkg in axios got ky undici; do
  # got 15+ does not export ./package.json: read it from the directory the package resolves to.
  v="$(node -p "require('$run_dir/../node_modules/$pkg/package.json').version" 2>/dev/null ||
    node -p "require('$repo/node_modules/$pkg/package.json').version")"
  versions+=" $pkg $v"
done
echo "adapter behavior table on Node $("$node_bin" --version) with$versions"
cd "$run_dir"
"$node_bin" --test --test-concurrency=1 --test-reporter=tap \
  test/unit/negotiate-fetch.test.js test/unit/axios.test.js test/unit/got.test.js \
  test/unit/ky.test.js test/unit/undici.test.js test/unit/fetch-like.test.js \
  test/integration/fetch.test.js test/integration/adapters.test.js test/integration/undici.test.js \
  test/integration/examples.test.js
