import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Agent, createServer, type IncomingHttpHeaders, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { beforeEach, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { ApacheServer } from '../helpers/apache.js';
import { useRealm } from '../helpers/realm-fixture.js';

// The third-party servers of the integration tests, checked with a third-party client (curl) so
// that a failure here points at the harness, not at http-gssapi.

const run = promisify(execFile);

interface CurlResponse {
  readonly status: number;
  readonly headers: ReadonlyMap<string, readonly string[]>;
  readonly body: string;
}

/** Runs curl and splits its `-i` output into the responses it received (401 legs included). */
async function curl(env: NodeJS.ProcessEnv, args: readonly string[]): Promise<CurlResponse[]> {
  const { stdout } = await run(
    'curl',
    ['--silent', '--show-error', '--include', '--max-time', '10', ...args],
    {
      env: { ...process.env, ...env },
    },
  );
  const starts = [...stdout.matchAll(/^HTTP\/[\d.]+ \d{3}/gm)].map((match) => match.index);
  return starts.map((start, i) => {
    const block = stdout.slice(start, starts[i + 1] ?? stdout.length);
    const split = block.indexOf('\r\n\r\n');
    const [statusLine = '', ...lines] = block.slice(0, split).split('\r\n');
    const headers = new Map<string, string[]>();
    for (const line of lines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).toLowerCase();
      headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
    }
    return { status: Number(statusLine.split(' ')[1]), headers, body: block.slice(split + 4) };
  });
}

function last(responses: CurlResponse[]): CurlResponse {
  const response = responses.at(-1);
  assert.ok(response, 'curl received no response');
  return response;
}

function header(response: CurlResponse, name: string): string | undefined {
  return response.headers.get(name)?.join(', ');
}

/**
 * A fresh `Negotiate <token>` for HTTP@localhost that no server has seen: curl sends it to a
 * local listener that only records it. Lets a test replay a token or send it on a connection
 * of its choice.
 */
async function mintToken(env: NodeJS.ProcessEnv): Promise<string> {
  let captured: string | undefined;
  const capture = createServer((req, res) => {
    captured ??= req.headers.authorization;
    // Answer a request without a token as a Negotiate server would, so curl sends one.
    res.writeHead(req.headers.authorization ? 200 : 401, { 'www-authenticate': 'Negotiate' }).end();
  });
  await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = capture.address() as AddressInfo;
    await curl(env, ['--negotiate', '--user', ':', `http://localhost:${port}/`]);
  } finally {
    capture.close();
  }
  assert.match(captured ?? '', /^Negotiate [A-Za-z0-9+/]+=*$/, 'curl produced no Negotiate token');
  return captured!;
}

interface NodeResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

function get(url: string, headers: Record<string, string>, agent: Agent): Promise<NodeResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

// curl gets the realm through its environment: this process's own stays untouched.
const fixture = useRealm({ applyEnv: false, apache: true, squid: true });
/** curl's environment with the user's ticket. */
const withTicket = (): NodeJS.ProcessEnv => ({ ...fixture.realm.env });
/** The same realm, but a ccache that does not exist: curl sends no token. */
const withoutTicket = (): NodeJS.ProcessEnv => ({
  ...fixture.realm.env,
  KRB5CCNAME: `FILE:${join(fixture.realm.dir, 'no-such-ccache')}`,
});

describe('ApacheServer (mod_auth_gssapi)', () => {
  beforeEach(() => fixture.apache.clearAccessLog());

  test('starts on a free port and says how long it took', (t) => {
    t.diagnostic(`apache started in ${fixture.apache.startMs} ms on ${fixture.apache.hosts.join(', ')}`);
    assert.match(fixture.apache.url, /^http:\/\/localhost:\d+\/$/);
    assert.notEqual(fixture.apache.port, 80);
  });

  test('/private/ without a ticket: 401 with a bare WWW-Authenticate: Negotiate', async () => {
    const response = last(
      await curl(withoutTicket(), ['--negotiate', '--user', ':', `${fixture.apache.url}private/`]),
    );
    assert.equal(response.status, 401);
    assert.equal(header(response, 'www-authenticate'), 'Negotiate');
    const log = await fixture.apache.accessLog({ minEntries: 1 });
    assert.deepEqual(
      log.map((entry) => [entry.status, entry.authorization, entry.user]),
      [[401, null, null]],
    );
  });

  test('/private/ with a ticket: 401, then 200 on the same connection with the user and a mutual-auth token', async () => {
    // --anyauth waits for the 401 before sending a token; plain --negotiate would send it at once.
    const responses = await curl(withTicket(), ['--anyauth', '--user', ':', `${fixture.apache.url}private/`]);
    assert.deepEqual(
      responses.map((response) => response.status),
      [401, 200],
    );
    const ok = last(responses);
    assert.equal(header(ok, 'x-remote-user'), fixture.realm.user.principal);
    assert.equal(JSON.parse(ok.body).user, fixture.realm.user.principal);
    // RFC 4559 section 5: the server's final token rides on the 200.
    assert.match(header(ok, 'www-authenticate') ?? '', /^Negotiate [A-Za-z0-9+/]+=*$/);

    const log = await fixture.apache.accessLog({ minEntries: 2 });
    assert.equal(log.length, 2);
    const [challenge, authenticated] = log;
    assert.deepEqual([challenge!.status, challenge!.authorization, challenge!.user], [401, null, null]);
    assert.deepEqual(
      [authenticated!.status, authenticated!.authorization, authenticated!.user],
      [200, 'negotiate', fixture.realm.user.principal],
    );
    assert.equal(authenticated!.remotePort, challenge!.remotePort, 'both legs on one connection');
    assert.equal(authenticated!.keepAliveRequests, challenge!.keepAliveRequests + 1);
  });

  test('/public/ answers 200 without authentication', async () => {
    const response = last(await curl(withoutTicket(), [`${fixture.apache.url}public/`]));
    assert.equal(response.status, 200);
    assert.deepEqual(JSON.parse(response.body), {
      user: null,
      method: 'GET',
      uri: '/public/',
      delegatedCcache: null,
    });
    assert.equal(await fixture.apache.requestCount({ minEntries: 1 }), 1);
  });

  test('a replayed token is refused: 401 with an error token, "Request is a replay" in the error log', async () => {
    const token = await mintToken(withTicket());
    const agent = new Agent({ keepAlive: false });
    const first = await get(`${fixture.apache.url}private/`, { authorization: token }, agent);
    assert.equal(first.status, 200);
    const again = await get(`${fixture.apache.url}private/`, { authorization: token }, agent);
    assert.equal(again.status, 401);
    // The KRB-ERROR (KRB_AP_ERR_REPEAT) wrapped in a SPNEGO reject comes back as a token.
    assert.match(String(again.headers['www-authenticate']), /^Negotiate [A-Za-z0-9+/]+=*$/);
    assert.match(await fixture.apache.errorLogTail(), /Request is a replay/);
  });

  test('/bound/ authenticates the connection: later requests on it need no token', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const token = await mintToken(withTicket());
      const first = await get(`${fixture.apache.url}bound/`, { authorization: token }, agent);
      assert.equal(first.status, 200);
      const second = await get(`${fixture.apache.url}bound/`, {}, agent);
      assert.equal(second.status, 200);
      assert.equal(JSON.parse(second.body).user, fixture.realm.user.principal);
      const log = await fixture.apache.accessLog({ minEntries: 2 });
      assert.deepEqual(
        log.map((entry) => [entry.authorization, entry.user]),
        [
          ['negotiate', fixture.realm.user.principal],
          [null, fixture.realm.user.principal],
        ],
      );
      assert.equal(log[1]!.remotePort, log[0]!.remotePort);
      // Without GssapiConnectionBound, the same connection still needs a token per request.
      const unbound = await get(`${fixture.apache.url}private/`, {}, agent);
      assert.equal(unbound.status, 401);
    } finally {
      agent.destroy();
    }
  });

  test('/delegate/ stores the delegated ticket in a ccache named after the user', async () => {
    const response = last(
      await curl(withTicket(), [
        '--negotiate',
        '--user',
        ':',
        '--delegation',
        'always',
        `${fixture.apache.url}delegate/`,
      ]),
    );
    assert.equal(response.status, 200);
    const ccache = fixture.apache.delegatedCcache(fixture.realm.user.principal);
    assert.equal(JSON.parse(response.body).delegatedCcache, `FILE:${ccache}`);
    assert.ok(existsSync(ccache), `${ccache} exists`);
  });

  test('/post/ echoes a chunked POST body after authentication', async () => {
    const body = 'x'.repeat(100_000);
    const response = last(
      await curl(withTicket(), [
        '--negotiate',
        '--user',
        ':',
        '--header',
        'Transfer-Encoding: chunked',
        '--data-binary',
        body,
        `${fixture.apache.url}post/`,
      ]),
    );
    assert.equal(response.status, 200);
    assert.equal(response.body, body);
    assert.equal(header(response, 'x-remote-user'), fixture.realm.user.principal);
    assert.equal(header(response, 'x-request-transfer-encoding'), 'chunked');
  });

  test('redirects: /auth-redirect/ only after authentication, /open-redirect/ without', async () => {
    const denied = last(await curl(withoutTicket(), [`${fixture.apache.url}auth-redirect/`]));
    assert.equal(denied.status, 401);
    const redirected = last(
      await curl(withTicket(), ['--negotiate', '--user', ':', `${fixture.apache.url}auth-redirect/`]),
    );
    assert.equal(redirected.status, 302);
    assert.equal(header(redirected, 'location'), `${fixture.apache.url}private/`);
    const redirected307 = last(
      await curl(withTicket(), ['--negotiate', '--user', ':', `${fixture.apache.url}auth-redirect-307/`]),
    );
    assert.equal(redirected307.status, 307);
    assert.equal(header(redirected307, 'location'), `${fixture.apache.url}post/`);
    const open302 = last(await curl(withoutTicket(), [`${fixture.apache.url}open-redirect/`]));
    assert.equal(open302.status, 302);
    assert.equal(header(open302, 'location'), `${fixture.apache.url}private/`);
    const open = last(await curl(withoutTicket(), [`${fixture.apache.url}open-redirect-307/`]));
    assert.equal(open.status, 307);
    assert.equal(header(open, 'location'), `${fixture.apache.url}post/`);
  });

  test('sessionCookie: one handshake, then the cookie alone authenticates', async () => {
    await using server = await ApacheServer.start({ realm: fixture.realm, sessionCookie: true });
    const jar = join(server.dir, 'cookies.txt');
    const first = last(
      await curl(withTicket(), ['--negotiate', '--user', ':', '--cookie-jar', jar, `${server.url}private/`]),
    );
    assert.equal(first.status, 200);
    assert.match(header(first, 'set-cookie') ?? '', /^gssapi_session=/);
    const second = last(await curl(withoutTicket(), ['--cookie', jar, `${server.url}private/`]));
    assert.equal(second.status, 200);
    assert.equal(JSON.parse(second.body).user, fixture.realm.user.principal);
  });

  test('stop() is idempotent and removes the directory', async () => {
    const server = await ApacheServer.start({ realm: fixture.realm });
    await Promise.all([server.stop(), server.stop()]);
    await server.stop();
    assert.equal(existsSync(server.dir), false);
  });
});

describe('SquidProxy (negotiate_kerberos_auth)', () => {
  beforeEach(() => fixture.squid.clearAccessLog());

  test('starts on a free port and says how long it took', (t) => {
    t.diagnostic(`squid started in ${fixture.squid.startMs} ms on ${fixture.squid.hosts.join(', ')}`);
    assert.match(fixture.squid.url, /^http:\/\/localhost:\d+$/);
  });

  test('without a ticket: 407 with Proxy-Authenticate: Negotiate', async () => {
    const response = last(
      await curl(withoutTicket(), [
        '--proxy-negotiate',
        '--proxy-user',
        ':',
        '--proxy',
        fixture.squid.url,
        `${fixture.apache.url}public/`,
      ]),
    );
    assert.equal(response.status, 407);
    assert.equal(header(response, 'proxy-authenticate'), 'Negotiate');
    const log = await fixture.squid.accessLog({ minEntries: 1 });
    assert.deepEqual(
      log.map((entry) => [entry.status, entry.result, entry.user]),
      [[407, 'TCP_DENIED', null]],
    );
  });

  test('with a ticket: 200 from the origin through the proxy, logged with the user', async () => {
    const response = last(
      await curl(withTicket(), [
        '--proxy-negotiate',
        '--proxy-user',
        ':',
        '--proxy',
        fixture.squid.url,
        `${fixture.apache.url}public/`,
      ]),
    );
    assert.equal(response.status, 200);
    assert.equal(JSON.parse(response.body).uri, '/public/');
    const [entry] = await fixture.squid.accessLog({ minEntries: 1 });
    assert.equal(entry?.status, 200);
    assert.equal(entry?.user, fixture.realm.user.principal);
    assert.equal(entry?.url, `${fixture.apache.url}public/`);
  });

  test('proxy and origin both Negotiate: one ticket for each, the same service key', async () => {
    const response = last(
      await curl(withTicket(), [
        '--proxy-negotiate',
        '--proxy-user',
        ':',
        '--proxy',
        fixture.squid.url,
        '--negotiate',
        '--user',
        ':',
        `${fixture.apache.url}private/`,
      ]),
    );
    assert.equal(response.status, 200);
    assert.equal(JSON.parse(response.body).user, fixture.realm.user.principal);
  });
});
