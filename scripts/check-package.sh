#!/usr/bin/env bash
# The package as npm would publish it, checked the way a user meets it: built from clean by
# `npm pack` (prepack), linted (publint; arethetypeswrong with the esm-only profile, since the
# package is ESM only), installed from the tarball into a scratch project, every subpath imported
# with import and with require() (require(esm), Node >= 20.19), a TypeScript `module: nodenext`
# project compiled (ESM and CommonJS files) and run, and an install without koffi's native module
# (--omit=optional --ignore-scripts) failing with our coded error instead of koffi's own.
# Usage: bash scripts/check-package.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
started=$SECONDS
work="$(mktemp -d "${TMPDIR:-/tmp}/http-gssapi-package.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Build from clean: prepack runs `npm run build`, which removes dist/ first.
rm -rf dist
npm pack --silent --pack-destination "$work" > "$work/pack.txt"
tarball="$work/$(tail -n 1 "$work/pack.txt")"
[[ -f "$tarball" ]] || { echo "npm pack made no tarball" >&2; exit 1; }
echo "package: built and packed in $((SECONDS - started)) s: $(basename "$tarball"), $(stat -c %s "$tarball") bytes packed, $(tar -tzf "$tarball" | wc -l) files"
# Nothing outside what package.json's `files` names (and what npm always adds).
if tar -tzf "$tarball" | grep -Ev '^package/(dist|src|docs)/|^package/(README\.md|LICENSE|package\.json)$'; then
  echo "unexpected files in the tarball (above)" >&2
  exit 1
fi

npx --no-install publint run "$tarball" --level warning
FORCE_COLOR=0 npx --no-install attw "$tarball" --profile esm-only --format table-flipped --no-emoji

# A user's project: the tarball, the clients at the lockfile's versions, @types/node.
version_of() { node -p "require('$repo/node_modules/$1/package.json').version"; }
app="$work/app"
mkdir -p "$app"
cat > "$app/package.json" <<'JSON'
{ "name": "package-check-app", "private": true, "version": "1.0.0", "type": "commonjs" }
JSON
(cd "$app" && npm install --silent --no-audit --no-fund "$tarball" \
  "axios@$(version_of axios)" "got@$(version_of got)" "ky@$(version_of ky)" \
  "undici@$(version_of undici)" "@types/node@$(version_of @types/node)")

# Every subpath of `exports`, with the names each must export.
cat > "$app/subpaths.json" <<'JSON'
{
  "http-gssapi": ["HTTPSPNEGOAuth", "createFetch", "negotiateErrorOf", "REQUIRED", "OPTIONAL", "DISABLED"],
  "http-gssapi/gssapi": ["Name", "Credentials", "SecurityContext", "GSSError"],
  "http-gssapi/gssapi/raw": ["loadGssapiLibrary", "GssapiLibraryError"],
  "http-gssapi/testing": ["TestRealm", "NegotiateTestServer"],
  "http-gssapi/undici": ["negotiate"],
  "http-gssapi/axios": ["withNegotiate", "negotiateAdapter"],
  "http-gssapi/got": ["negotiateGot"],
  "http-gssapi/ky": ["negotiateKy"]
}
JSON
cat > "$app/check-import.mjs" <<'JS'
import { readFileSync } from 'node:fs';
const subpaths = JSON.parse(readFileSync(new URL('./subpaths.json', import.meta.url), 'utf8'));
for (const [specifier, names] of Object.entries(subpaths)) {
  const module = await import(specifier);
  const missing = names.filter((name) => module[name] === undefined);
  if (missing.length) throw new Error(`import ${specifier}: missing ${missing.join(', ')}`);
}
console.log(`import: ${Object.keys(subpaths).length} subpaths`);
JS
cat > "$app/check-require.cjs" <<'JS'
// require(esm): Node >= 20.19 loads an ES module through require() when it has no top-level await.
const subpaths = require('./subpaths.json');
for (const [specifier, names] of Object.entries(subpaths)) {
  const module = require(specifier);
  const missing = names.filter((name) => module[name] === undefined);
  if (missing.length) throw new Error(`require ${specifier}: missing ${missing.join(', ')}`);
}
console.log(`require(): ${Object.keys(subpaths).length} subpaths`);
JS
(cd "$app" && node check-import.mjs && node --no-warnings check-require.cjs)

# TypeScript, module nodenext: an ES module and a CommonJS file (compiled to require()).
mkdir -p "$app/ts"
cat > "$app/ts/tsconfig.json" <<'JSON'
{
  "compilerOptions": {
    "module": "nodenext",
    "target": "es2022",
    "strict": true,
    "skipLibCheck": false,
    "types": ["node"],
    "outDir": "out"
  },
  "include": ["*.mts", "*.cts"]
}
JSON
cat > "$app/ts/esm.mts" <<'TS'
import { fetch as undiciFetch } from 'undici';
import ky from 'ky';
import got from 'got';
import axios from 'axios';
import { Agent } from 'undici';
import { createFetch, HTTPSPNEGOAuth, REQUIRED, type FetchLike } from 'http-gssapi';
import { Name } from 'http-gssapi/gssapi';
import { loadGssapiLibrary } from 'http-gssapi/gssapi/raw';
import { NegotiateTestServer, TestRealm } from 'http-gssapi/testing';
import { negotiate } from 'http-gssapi/undici';
import { withNegotiate } from 'http-gssapi/axios';
import { negotiateGot } from 'http-gssapi/got';
import { negotiateKy } from 'http-gssapi/ky';
const auth = new HTTPSPNEGOAuth({ mutualAuthentication: REQUIRED });
const base: FetchLike = undiciFetch;
export const all = [
  createFetch(auth, undiciFetch),
  base,
  new Agent().compose(negotiate(auth)),
  withNegotiate(axios.create(), auth),
  got.extend(negotiateGot(auth)),
  ky.create(negotiateKy(auth)),
  Name,
  loadGssapiLibrary,
  NegotiateTestServer,
  TestRealm,
];
console.log(`typescript nodenext, ESM: ${all.length} values`);
TS
cat > "$app/ts/cjs.cts" <<'TS'
// A CommonJS file: TypeScript (module nodenext) compiles these imports to require().
import { createFetch, HTTPSPNEGOAuth } from 'http-gssapi';
import { negotiate } from 'http-gssapi/undici';
const values = [createFetch(new HTTPSPNEGOAuth()), negotiate()];
console.log(`typescript nodenext, CommonJS: ${values.length} values`);
TS
(cd "$app/ts" && "$repo/node_modules/.bin/tsc" -p . && node out/esm.mjs && node --no-warnings out/cjs.cjs)
grep -q 'require("http-gssapi")' "$app/ts/out/cjs.cjs" || { echo "cjs.cts did not compile to require()" >&2; exit 1; }

# Without koffi's native module: our coded error and its hint, not koffi's raw message.
bare="$work/bare"
mkdir -p "$bare"
echo '{ "name": "package-check-bare", "private": true, "version": "1.0.0", "type": "module" }' > "$bare/package.json"
(cd "$bare" && npm install --silent --no-audit --no-fund --omit=optional --ignore-scripts "$tarball")
cat > "$bare/check.mjs" <<'JS'
import { GssapiLibraryError, loadGssapiLibrary } from 'http-gssapi/gssapi/raw';
try {
  loadGssapiLibrary();
  throw new Error('loadGssapiLibrary() succeeded without koffi native module');
} catch (error) {
  if (!(error instanceof GssapiLibraryError) || error.code !== 'ERR_KOFFI_NATIVE_MISSING' || !error.hint) throw error;
  console.log(`--omit=optional --ignore-scripts: ${error.code}: ${error.message}`);
}
JS
(cd "$bare" && node check.mjs)

echo "package check passed in $((SECONDS - started)) s"
