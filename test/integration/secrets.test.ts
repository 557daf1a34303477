import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { useRealm } from '../helpers/realm-fixture.js';
import { runCli } from '../helpers/run-cli.js';

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

// Issue 23 item 1: a session cookie authenticates as the user, like a token. The real server's
// session behavior sets one after the handshake; each client then sends it, gets its response,
// and fails (a status the application refuses, a hook that throws). Everything printed at full
// depth, with NODE_DEBUG on, and the command's -v trace, must show no session id.
test('no session cookie in anything a run with sessions prints, on every client and in -v', async () => {
  const src = (path: string) => new URL(`../../src/${path}`, import.meta.url).href;
  const server = new URL(fixture.negotiateServer.url);
  const base = `http://${server.host}/session/leak`;
  const script = `
    import { inspect } from 'node:util';
    import { subscribe } from 'node:diagnostics_channel';
    const { createFetch, HTTPSPNEGOAuth, DIAGNOSTICS_CHANNELS } = await import('${src('index.js')}');
    const { negotiateGot } = await import('${src('adapters/got.js')}');
    const { withNegotiate } = await import('${src('adapters/axios/index.js')}');
    const { negotiateKy } = await import('${src('adapters/ky.js')}');
    const { negotiate } = await import('${src('adapters/undici/index.js')}');
    const got = (await import('got')).default;
    const axios = (await import('axios')).default;
    const ky = (await import('ky')).default;
    const { Agent, request } = await import('undici');
    const dump = (label, value) => {
      console.log(label, inspect(value, { depth: Infinity }));
      console.log(label, inspect(value, { depth: Infinity, getters: true }));
      try { console.log(label, JSON.stringify(value)); } catch (e) { console.log(label, 'unserializable', e.message); }
    };
    const events = [];
    for (const name of Object.values(DIAGNOSTICS_CHANNELS)) subscribe(name, (event) => events.push(event));
    const refuse = () => { throw new Error('the application refuses this response'); };
    const headers = { cookie: 'mine=caller-1' };
    const clients = {
      fetch: (auth, url, fail) => createFetch(auth)(url, { headers }).then((r) => { if (fail) refuse(); return r; }),
      got: (auth, url, fail) => got.extend(negotiateGot(auth), { retry: { limit: 0 } })(url, { headers, hooks: { afterResponse: fail ? [refuse] : [] } }),
      axios: (auth, url, fail) => withNegotiate(axios.create(), auth).get(url, { headers, ...(fail ? { validateStatus: () => false } : {}) }),
      ky: (auth, url, fail) => ky.create({ ...negotiateKy(auth), retry: 0 })(url, { headers, hooks: { afterResponse: fail ? [refuse] : [] } }),
      undici: async (auth, url, fail) => {
        const agent = new Agent();
        const res = await request(url, { dispatcher: agent.compose(negotiate(auth)), headers });
        await res.body.text();
        await agent.close();
        if (fail) refuse();
        return res;
      },
    };
    for (const [name, send] of Object.entries(clients)) {
      const auth = new HTTPSPNEGOAuth();
      for (const [i, fail] of [[1, false], [2, false], [3, true]]) {
        try { dump(name, await send(auth, '${base}-' + name + '-' + i, fail)); } catch (e) { dump(name + ' thrown', e); }
      }
    }
    for (const e of events) dump('event', e);
    console.log('counts', JSON.stringify({ events: events.length }));
  `;
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '-e', script],
    {
      env: { ...process.env, ...fixture.realm.env, NODE_DEBUG: 'http-gssapi' },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const cli = await runCli(['-v', '-i', `${base}-cli`], {
    env: { ...fixture.realm.env, NODE_DEBUG: 'http-gssapi' },
  });
  assert.equal(cli.code, 0, cli.stderr);
  const sessions = (requests: readonly { cookie: string | null }[]) =>
    requests.flatMap((r) => [...(r.cookie ?? '').matchAll(/negotiate-session=([^;\s]+)/g)].map((m) => m[1]!));
  const sent = sessions(fixture.negotiateServer.requestsTo('/session/leak'));
  for (const client of ['fetch', 'got', 'axios', 'ky', 'undici'])
    assert.ok(
      fixture.negotiateServer.requestsTo(`/session/leak-${client}-3`).some((r) => r.session),
      `${client}: the failing request went with the session cookie (else this proves nothing)`,
    );
  assert.ok(sent.length >= 10, `session ids sent: ${sent.length}`);
  const printed = `${stdout}\n${stderr}`;
  assert.match(stderr, /^HTTP-GSSAPI \d+: session/m, 'NODE_DEBUG session lines were printed');
  // A response the caller receives shows the server's own Set-Cookie (its header, as the final
  // token is): allowed. The id anywhere else (a Cookie header we sent, a debug line) is a leak.
  const ours = printed.indexOf('mine=caller-1; negotiate-session=');
  assert.ok(
    ours < 0,
    `a Cookie header we sent was printed: ${printed.slice(Math.max(0, ours - 300), ours + 80)}`,
  );
  for (const id of sent) {
    for (let at = printed.indexOf(id); at >= 0; at = printed.indexOf(id, at + 1)) {
      const setByServer = printed.startsWith('; Path=/session', at + id.length);
      assert.ok(setByServer, `a session id was printed: ${printed.slice(Math.max(0, at - 300), at + 40)}`);
    }
  }
  // The command's own session: one handshake, its cookie set on the response and shown by -i
  // (the server's answer, as curl -i shows it), never in the -v trace lines (`*`, `>`, `<`).
  const trace = cli.stderr.split('\n').filter((line) => /^[*<>] /.test(line));
  assert.ok(trace.length > 0, 'the -v trace was printed');
  assert.ok(!trace.some((line) => /negotiate-session=/.test(line)), trace.join('\n'));
});
