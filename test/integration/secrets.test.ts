import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { useRealm } from '../helpers/realm-fixture.js';

// A failing run, logged every way an application might log it, at full depth: the auth object
// (with a password login in its options), every error and every diagnostics event, with
// NODE_DEBUG=http-gssapi on, for requests to URLs that carry userinfo. No secret may appear.

const fixture = useRealm({ negotiateServer: true });
const PASSWORD = 'pw-Secret-4711-wrong';
const URL_PASSWORD = 'url-Secret-0815';

test('no password, URL password or token in anything a failing run prints', async () => {
  const src = new URL('../../src/index.js', import.meta.url).href;
  const gotAdapter = new URL('../../src/adapters/got.js', import.meta.url).href;
  const server = new URL(fixture.negotiateServer.url);
  const base = `http://alice:${URL_PASSWORD}@${server.host}`;
  const script = `
    import { inspect } from 'node:util';
    import { subscribe } from 'node:diagnostics_channel';
    const { createFetch, HTTPSPNEGOAuth, negotiateErrorOf, DIAGNOSTICS_CHANNELS } = await import('${src}');
    const { negotiateGot } = await import('${gotAdapter}');
    const got = (await import('got')).default;
    const dump = (label, value) => {
      console.log(label, inspect(value, { depth: Infinity }));
      console.log(label, inspect(value, { depth: Infinity, getters: true }));
      try { console.log(label, JSON.stringify(value)); } catch (e) { console.log(label, 'unserializable', e.message); }
    };
    // Node's fetch refuses URLs with userinfo; a base fetch that drops it (as an application's
    // wrapper might) lets the flow see such URLs, as the undici interceptor and axios do.
    const baseFetch = (input, init) => { const u = new URL(input); u.username = ''; u.password = ''; return fetch(u, init); };
    const events = [];
    for (const name of Object.values(DIAGNOSTICS_CHANNELS)) subscribe(name, (event) => events.push(event));
    const errors = [];
    const login = new HTTPSPNEGOAuth({ creds: { principal: ${JSON.stringify(fixture.realm.user.principal)}, password: ${JSON.stringify(PASSWORD)} }, onError: (error, info) => errors.push({ error, info }) });
    const user = new HTTPSPNEGOAuth({ mutualAuthentication: 'required', opportunisticAuth: true });
    dump('auth', login);
    // A refused password login: the 401 comes back with the reason.
    const refused = await createFetch(login, baseFetch)('${base}/ok/login');
    dump('status', refused.status);
    dump('reason', negotiateErrorOf(refused));
    // A real token sent, then a mutual-authentication failure (the server's final token dropped).
    const failures = [];
    for (const path of ['/omit-final-token/', '/corrupt-final-token/', '/ok/x']) {
      try { dump('response', await createFetch(user, baseFetch)('${base}' + path)); } catch (e) { failures.push(e); }
      try { dump('got', (await got.extend(negotiateGot(user))('http://${server.host}' + path, { retry: { limit: 0 } })).statusCode); } catch (e) { failures.push(e); }
    }
    for (const e of failures) dump('thrown', e);
    for (const e of errors) dump('onError', e);
    for (const e of events) dump('event', e);
    console.log('counts', JSON.stringify({ events: events.length, errors: errors.length, failures: failures.length }));
  `;
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '-e', script],
    {
      env: { ...process.env, ...fixture.realm.env, NODE_DEBUG: 'http-gssapi' },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const printed = `${stdout}\n${stderr}`;
  const counts = JSON.parse(/^counts (\{.*\})$/m.exec(stdout)?.[1] ?? '{}') as Record<string, number>;
  assert.ok((counts['events'] ?? 0) > 3, `diagnostics events were printed: ${JSON.stringify(counts)}`);
  assert.ok((counts['errors'] ?? 0) >= 1, 'onError was called');
  assert.match(stdout, /ERR_LOGIN_REFUSED/, 'the refused login is in what was printed');
  assert.match(stderr, /^HTTP-GSSAPI \d+: token/m, 'NODE_DEBUG lines were printed, a token among them');
  assert.ok(!printed.includes(PASSWORD), 'the creds password is never printed');
  assert.ok(!printed.includes(URL_PASSWORD), 'the URL password is never printed');
  // Our tokens: a first token is base64 of a DER InitialContextToken (`YII...`, RFC 2743 section
  // 3.1); a run of 40 base64 characters of one would be a token printed whole. (The server's
  // final token on a response the caller receives, `oY...`, is the response's own header.)
  const whole = /.{0,120}Negotiate YII[A-Za-z0-9+/]{37}/s.exec(printed);
  assert.ok(whole === null, `no token printed whole: ${whole?.[0]}`);
});
