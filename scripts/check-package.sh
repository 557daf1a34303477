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
step() { echo "[$((SECONDS - started)) s] $*"; }
work="$(mktemp -d "${TMPDIR:-/tmp}/http-gssapi-package.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Build from clean: prepack runs `npm run build`, which removes dist/ first.
rm -rf dist
npm pack --silent --pack-destination "$work" > "$work/pack.txt"
tarball="$work/$(tail -n 1 "$work/pack.txt")"
[[ -f "$tarball" ]] || { echo "npm pack made no tarball" >&2; exit 1; }
tar -tzf "$tarball" > "$work/files.txt"
echo "package: built and packed in $((SECONDS - started)) s: $(basename "$tarball"), $(stat -c %s "$tarball") bytes packed, $(wc -l < "$work/files.txt") files"
# Nothing outside what package.json's `files` names (and what npm always adds).
if grep -Ev '^package/(dist|src|docs)/|^package/(README\.md|LICENSE|package\.json)$' "$work/files.txt"; then
  echo "unexpected files in the tarball (above)" >&2
  exit 1
fi

# The README is the npm page: no relative link (there is no repository to resolve it against);
# links into the docs name this version and a file the tarball ships.
version="$(node -p "require('./package.json').version")"
if grep -nE '\]\((\./)?(docs|examples|src)/' README.md; then
  echo "README.md: relative links (above) lead nowhere on the npm page" >&2
  exit 1
fi
for link in $(grep -oE 'https://unpkg\.com/http-gssapi@[^/)]+/[^)#]+' README.md | sort -u); do
  file="${link#https://unpkg.com/http-gssapi@*/}"
  [[ "$link" == "https://unpkg.com/http-gssapi@$version/$file" ]] ||
    { echo "README.md: $link is not version $version" >&2; exit 1; }
  grep -qx "package/$file" "$work/files.txt" || { echo "README.md: $file is not in the package" >&2; exit 1; }
done

step "publint"
npx --no-install publint run "$tarball" --level warning
step "attw"
FORCE_COLOR=0 npx --no-install attw "$tarball" --profile esm-only --format table-flipped --no-emoji

step "install into a scratch project"
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
  "http-gssapi/adapter-kit": ["NegotiateFlow", "runExchange", "parseChallenges", "formatNegotiateHeader", "sanitizedHeaders"],
  "http-gssapi/gssapi": ["Name", "Credentials", "SecurityContext", "GSSError"],
  "http-gssapi/gssapi/raw": ["loadGssapiLibrary", "GssapiLibraryError"],
  "http-gssapi/testing": ["TestRealm", "NegotiateTestServer"],
  "http-gssapi/undici": ["negotiate", "createProxyDispatcher"],
  "http-gssapi/axios": ["withNegotiate", "negotiateAdapter"],
  "http-gssapi/got": ["negotiateGot"],
  "http-gssapi/ky": ["negotiateKy"],
  "http-gssapi/proxy": ["createProxyAgents", "openConnectTunnel", "ProxySelector", "ProxyRefusedError"]
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
# The kit moved out of the root: the root must not export it any more.
cat > "$app/check-root.mjs" <<'JS'
const root = await import('http-gssapi');
const leaked = ['NegotiateFlow', 'runExchange', 'parseChallenges', 'sanitizedHeaders'].filter((n) => n in root);
if (leaked.length) throw new Error(`the root exports the adapter kit's ${leaked.join(', ')}`);
console.log('root: no adapter-kit names');
JS
(cd "$app" && node check-root.mjs)

step "the http-gssapi command"
# npm links package.json's bin into node_modules/.bin only when the file is in the tarball.
"$app/node_modules/.bin/http-gssapi" --version | grep -qx "http-gssapi $version"
"$app/node_modules/.bin/http-gssapi" doctor --help > /dev/null

step "typescript"
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
import { runExchange, type Exchange } from 'http-gssapi/adapter-kit';
import { Name } from 'http-gssapi/gssapi';
import { loadGssapiLibrary } from 'http-gssapi/gssapi/raw';
import { NegotiateTestServer, TestRealm } from 'http-gssapi/testing';
import { negotiate } from 'http-gssapi/undici';
import { withNegotiate } from 'http-gssapi/axios';
import { negotiateGot } from 'http-gssapi/got';
import { negotiateKy } from 'http-gssapi/ky';
const auth = new HTTPSPNEGOAuth({ mutualAuthentication: REQUIRED });
const base: FetchLike = undiciFetch;
const exchange: Exchange<Response> = {
  send: (headers) => undiciFetch('http://localhost/', { headers }) as unknown as Promise<Response>,
  status: (res) => res.status,
  header: (res, name) => res.headers.get(name),
  discard: (res) => res.body?.cancel(),
  sanitize: (res, headers) => new Response(null, { status: res.status, headers }),
};
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
  runExchange,
  exchange,
];
console.log(`typescript nodenext, ESM: ${all.length} values`);
TS
cat > "$app/ts/cjs.cts" <<'TS'
// A CommonJS file: TypeScript (module nodenext) compiles these imports to require().
import { createFetch, HTTPSPNEGOAuth } from 'http-gssapi';
import { negotiate } from 'http-gssapi/undici';
import { NegotiateFlow } from 'http-gssapi/adapter-kit';
const values = [createFetch(new HTTPSPNEGOAuth()), negotiate(), NegotiateFlow];
console.log(`typescript nodenext, CommonJS: ${values.length} values`);
TS
(cd "$app/ts" && "$repo/node_modules/.bin/tsc" -p . && node out/esm.mjs && node --no-warnings out/cjs.cjs)
grep -q 'require("http-gssapi")' "$app/ts/out/cjs.cjs" || { echo "cjs.cts did not compile to require()" >&2; exit 1; }
step "typescript node16"
# What the README says of module node16: TS1479 for the CommonJS file.
if (cd "$app/ts" && "$repo/node_modules/.bin/tsc" -p . --module node16 --moduleResolution node16 --noEmit > node16.txt); then
  echo "module node16 compiled the CommonJS import; the README says TS1479" >&2
  exit 1
fi
grep -q 'cjs.cts.*TS1479' "$app/ts/node16.txt" || { cat "$app/ts/node16.txt" >&2; exit 1; }
echo "typescript node16, CommonJS: TS1479 as documented"
step "newest client majors"
# The types against the newest client majors (installed here only to compile: they need Node 22).
(cd "$app" && npm install --silent --no-audit --no-fund --engine-strict=false ky@2 got@16 undici@8)
(cd "$app/ts" && "$repo/node_modules/.bin/tsc" -p . --noEmit)
echo "typescript nodenext with $(cd "$app" && node -p "['ky','undici'].map((p) => p + ' ' + require('./node_modules/' + p + '/package.json').version).join(', ')"), got 16: compiles"

step "got 13 and undici 6"
# A project on got 13 and undici 6 (unsupported majors, used for something else) can install us:
# the optional peers' ranges admit them.
old_app="$work/old-clients"
mkdir -p "$old_app"
echo '{ "name": "package-check-old", "private": true, "version": "1.0.0" }' > "$old_app/package.json"
# --dry-run resolves the whole tree (an ERESOLVE would fail here) without unpacking anything.
(cd "$old_app" && npm install --dry-run --no-audit --no-fund got@13 undici@6 "$tarball" > /dev/null)
echo "a project on got 13 and undici 6 resolves with the package"

step "install without koffi's native module"
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
