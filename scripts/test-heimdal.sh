#!/usr/bin/env bash
# The adapters' behavior table (test/integration/adapters.test.ts) with Heimdal's libgssapi.so.3
# on the client side (Debian libgssapi3-heimdal, installed by install-system-deps.sh beside MIT).
# Cases that need an extension Heimdal 7 lacks skip with the reason. Both targets run:
# NegotiateTestServer (a Heimdal acceptor here: its keytab is registered process-wide with
# gsskrb5_register_acceptor_identity, as Heimdal 7 lacks gss_acquire_cred_from) and Apache with
# mod_auth_gssapi, whose acceptor is MIT in its own process.
set -euo pipefail
cd "$(dirname "$0")/.."
library=""
for candidate in /usr/lib/x86_64-linux-gnu/libgssapi.so.3 /usr/lib/aarch64-linux-gnu/libgssapi.so.3; do
  [[ -e "$candidate" ]] && library="$candidate" && break
done
if [[ -z "$library" ]]; then
  echo "test-heimdal: libgssapi.so.3 not installed (apt-get install libgssapi3-heimdal)" >&2
  exit 1
fi
[[ -d build/test ]] || npm run --silent build:test
echo "adapter behavior table with HTTP_GSSAPI_LIBRARY=$library"
HTTP_GSSAPI_LIBRARY="$library" node --test --test-concurrency=1 build/test/integration/adapters.test.js
