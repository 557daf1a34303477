import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';

// NODE_DEBUG=http-gssapi prints each step of the handshake, with tokens redacted.

test('NODE_DEBUG=http-gssapi logs the handshake steps with tokens cut to a few characters', async () => {
  const src = new URL('../../src/index.js', import.meta.url).href;
  const helpers = new URL('../helpers/fake-context.js', import.meta.url).href;
  const script = `
    const { createFetch, HTTPSPNEGOAuth } = await import('${src}');
    const { fakeContextFactory, scriptedFetch, b64 } = await import('${helpers}');
    const auth = new HTTPSPNEGOAuth({ mutualAuthentication: 'required' }, { contextFactory: fakeContextFactory({ first: 'a-long-secret-token' }) });
    const base = scriptedFetch([
      () => new Response('', { status: 401, headers: { 'www-authenticate': 'Negotiate' } }),
      () => new Response('ok', { headers: { 'www-authenticate': 'Negotiate ' + b64('server-ok') } }),
    ]);
    const res = await createFetch(auth, base)('http://h.test/');
    console.log(res.status);`;
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '-e', script],
    {
      env: { ...process.env, NODE_DEBUG: 'http-gssapi' },
    },
  );
  assert.equal(stdout.trim(), '200');
  const lines = stderr.split('\n').filter((l) => l.startsWith('HTTP-GSSAPI'));
  assert.deepEqual(
    lines.map((l) => l.split(' ')[2]),
    ['challenge', 'token', 'mutual'],
  );
  const full = Buffer.from('a-long-secret-token').toString('base64');
  assert.ok(!stderr.includes(full), 'the full token never appears');
  assert.ok(stderr.includes(`${full.slice(0, 6)}…`), 'a redacted prefix does');
});

test('NODE_DEBUG=http-gssapi names the channel binding type and hash of a token', async () => {
  const src = new URL('../../src/index.js', import.meta.url).href;
  const helpers = new URL('../helpers/fake-context.js', import.meta.url).href;
  const script = `
    const { HTTPSPNEGOAuth } = await import('${src}');
    const { fakeContextFactory } = await import('${helpers}');
    const auth = new HTTPSPNEGOAuth({}, { contextFactory: fakeContextFactory() });
    const flow = auth.flow('https://h.test/', { peerCertificate: () => new Uint8Array([0x30, 0x00]) });
    await flow.onResponse({ status: 401, header: (n) => (n === 'www-authenticate' ? 'Negotiate' : null) });
    const plain = auth.flow('http://h.test/', { peerCertificate: () => new Uint8Array([0x30, 0x00]) });
    await plain.onResponse({ status: 401, header: (n) => (n === 'www-authenticate' ? 'Negotiate' : null) });`;
  const { stderr } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, NODE_DEBUG: 'http-gssapi' },
  });
  const tokens = stderr.split('\n').filter((l) => l.startsWith('HTTP-GSSAPI') && l.split(' ')[2] === 'token');
  assert.equal(tokens.length, 2, stderr);
  assert.match(tokens[0]!, /"binding":\{"type":"tls-server-end-point","hash":"sha256"\}/);
  assert.match(tokens[1]!, /"binding":null/);
});
