#!/bin/sh
# A long fuzz campaign of the header parser and the flow's token handling (test/unit/flow-fuzz.test.ts
# and the properties of test/unit/challenge.test.ts run in `npm test` with a few hundred runs).
# Usage: scripts/fuzz.sh [runs]   (default 100000; about a minute per 10000 on 2 cores)
set -eu
cd "$(dirname "$0")/.."
RUNS="${1:-100000}"
npm run build:test >/dev/null
FUZZ_RUNS="$RUNS" node --test --test-concurrency=1 build/test/unit/flow-fuzz.test.js
