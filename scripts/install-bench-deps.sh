#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages `npm run bench` needs beyond the test suite's, when missing:
# a C compiler and the MIT krb5 headers (the token-cost reference program is compiled at bench
# time), curl and Python's requests-kerberos (reference clients), httpx and python-gssapi (what
# httpx-gssapi needs; httpx-gssapi itself is not packaged by Debian: the bench finds a checkout
# of its source through HTTPX_GSSAPI_PATH, see docs/benchmarks.md). Runs as root (or with sudo).
# Idempotent: asks apt only about what is missing, and runs `apt-get update` at most once.
set -euo pipefail
cd "$(dirname "$0")/.."

# The realm, the test server's library and Apache come from the test suite's own list.
bash scripts/install-system-deps.sh

PACKAGES=(
  gcc                         # compiles bench/c/gss-token.c
  libc6-dev                   # its C library headers
  libkrb5-dev                 # gssapi/gssapi.h and libgssapi_krb5.so for linking
  curl                        # curl --negotiate -u : (reference client)
  python3                     # Debian's interpreter (/usr/bin/python3), which sees Debian's modules
  python3-requests-kerberos   # requests-kerberos (reference client)
  python3-httpx               # httpx, under httpx-gssapi (reference client of the sessions section)
  python3-gssapi              # python-gssapi, under httpx-gssapi
)

installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]; }

missing=()
for pkg in "${PACKAGES[@]}"; do installed "$pkg" || missing+=("$pkg"); done
((${#missing[@]} == 0)) && exit 0

SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# Only update the package lists when apt does not know a candidate for a missing package.
for pkg in "${missing[@]}"; do
  if ! apt-cache policy "$pkg" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    $SUDO apt-get update -qq
    break
  fi
done
echo "installing: ${missing[*]}" >&2
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
