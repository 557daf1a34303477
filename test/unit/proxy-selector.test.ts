import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProxySelector } from '../../src/proxy/proxy-selector.js';

// Which proxy a URL goes through: a fixed URL, or the environment read as undici 7's
// EnvHttpProxyAgent reads it (lib/dispatcher/env-http-proxy-agent.js).

const proxyFor = (selector: ProxySelector, url: string) => selector.proxyFor(new URL(url))?.href ?? null;

describe('ProxySelector', () => {
  test('a fixed proxy URL takes every http and https URL, nothing else', () => {
    const selector = ProxySelector.from('http://proxy.corp.example:3128');
    assert.equal(proxyFor(selector, 'http://a.example/'), 'http://proxy.corp.example:3128/');
    assert.equal(proxyFor(selector, 'https://a.example/x'), 'http://proxy.corp.example:3128/');
    assert.equal(proxyFor(selector, 'ws://a.example/'), null);
    assert.equal(
      proxyFor(ProxySelector.from(new URL('https://proxy:8443')), 'http://a/'),
      'https://proxy:8443/',
    );
  });

  test('environment: lower case before upper case; https falls back to the http proxy', () => {
    const env = {
      http_proxy: 'http://lower:1',
      HTTP_PROXY: 'http://upper:2',
      HTTPS_PROXY: 'http://secure:3',
    };
    const selector = ProxySelector.from('env', env);
    assert.equal(proxyFor(selector, 'http://a/'), 'http://lower:1/');
    assert.equal(proxyFor(selector, 'https://a/'), 'http://secure:3/');
    const httpOnly = ProxySelector.from('env', { HTTP_PROXY: 'http://upper:2' });
    assert.equal(proxyFor(httpOnly, 'https://a/'), 'http://upper:2/');
    assert.equal(proxyFor(ProxySelector.from('env', {}), 'https://a/'), null);
  });

  test('an empty variable means none, and a value without a scheme means http://', () => {
    assert.equal(proxyFor(ProxySelector.from('env', { http_proxy: '' }), 'http://a/'), null);
    assert.equal(
      proxyFor(ProxySelector.from('env', { HTTPS_PROXY: 'proxy.corp:3128' }), 'https://a/'),
      'http://proxy.corp:3128/',
    );
  });

  const noProxyCases: [string, string, boolean][] = [
    // [NO_PROXY, URL, goes direct]
    ['example.org', 'http://example.org/', true],
    ['example.org', 'http://www.example.org/', true],
    ['example.org', 'http://notexample.org/', false],
    ['.example.org', 'http://www.example.org/', true],
    ['.example.org', 'http://example.org/', true],
    ['*.example.org', 'http://a.b.example.org/', true],
    ['EXAMPLE.org', 'https://Example.ORG/', true],
    ['example.org:8080', 'http://example.org:8080/', true],
    ['example.org:8080', 'http://example.org/', false],
    ['example.org:443', 'https://example.org/', true],
    ['a.example, b.example', 'http://b.example/', true],
    ['a.example b.example', 'http://b.example/', true],
    ['*', 'https://anything.example/', true],
    ['*, a.example', 'https://anything.example/', false],
    ['[::1]', 'http://[::1]:8080/', true],
    ['127.0.0.1', 'http://127.0.0.1:3000/', true],
    ['127.0.0.1', 'http://127.0.0.10/', false],
    ['', 'http://example.org/', false],
    // IPv6 addresses: bare (the whole entry is the address, never host ':' port '1'), bracketed,
    // bracketed with a port, in any spelling; the usual loopback list.
    ['::1', 'http://[::1]:8080/', true],
    ['::1', 'https://[::1]/', true],
    ['::1', 'http://[::2]/', false],
    ['localhost,127.0.0.1,::1', 'http://[::1]:3000/', true],
    ['localhost,127.0.0.1,::1', 'http://127.0.0.1:3000/', true],
    ['localhost,127.0.0.1,::1', 'http://localhost:3000/', true],
    ['localhost,127.0.0.1,::1', 'http://example.org/', false],
    ['0:0:0:0:0:0:0:1', 'http://[::1]/', true],
    ['::1', 'http://[0:0::1]/', true],
    ['[::1]:8080', 'http://[::1]:8080/', true],
    ['[::1]:8080', 'http://[::1]:8081/', false],
    ['fe80::1', 'http://[fe80::1]:80/', true],
    ['[not-an-address]', 'http://not-an-address/', false],
    // `*` only as the whole value (with white space around it); inside a list it matches nothing.
    [' * ', 'http://anything.example/', true],
    ['a.example,*', 'http://anything.example/', false],
    ['*.example.org', 'http://example.org/', true],
    ['a*.example.org', 'http://ab.example.org/', false],
    // A trailing dot is ignored on either side.
    ['example.org.', 'http://www.example.org/', true],
    ['example.org', 'http://example.org./', true],
    ['.example.org.', 'http://a.example.org./', true],
    // CIDR ranges match address hosts in the range (names are not resolved).
    ['10.0.0.0/8', 'http://10.1.2.3:8080/', true],
    ['10.0.0.0/8', 'http://11.0.0.1/', false],
    ['127.0.0.0/8', 'http://localhost/', false],
    ['192.168.0.0/16, example.org', 'https://192.168.44.5/', true],
    ['fd00::/8', 'http://[fd12::5]/', true],
    ['fd00::/8', 'http://[fe80::1]/', false],
    ['::1/128', 'http://[::1]:9/', true],
    ['10.0.0.0/33', 'http://10.0.0.1/', false],
    // An address matches itself only, never as the end of a longer one.
    ['0.0.1', 'http://127.0.0.1/', false],
    ['1', 'http://127.0.0.1/', false],
  ];
  for (const [noProxy, url, direct] of noProxyCases) {
    test(`NO_PROXY=${JSON.stringify(noProxy)}: ${url} ${direct ? 'goes direct' : 'goes through the proxy'}`, () => {
      const selector = ProxySelector.from('env', { HTTP_PROXY: 'http://p:1', NO_PROXY: noProxy });
      assert.equal(proxyFor(selector, url), direct ? null : 'http://p:1/');
      const given = ProxySelector.from({ httpProxy: 'http://p:1', noProxy });
      assert.equal(proxyFor(given, url), direct ? null : 'http://p:1/', 'the noProxy setting reads the same');
    });
  }

  test('NO_PROXY: no_proxy first, and read at each request', () => {
    const env: NodeJS.ProcessEnv = { HTTP_PROXY: 'http://p:1', no_proxy: 'a.example', NO_PROXY: 'b.example' };
    const selector = ProxySelector.from('env', env);
    assert.equal(proxyFor(selector, 'http://a.example/'), null);
    assert.equal(proxyFor(selector, 'http://b.example/'), 'http://p:1/');
    env['no_proxy'] = 'b.example';
    assert.equal(proxyFor(selector, 'http://b.example/'), null, 'the change is seen');
  });

  test('settings: explicit fields win over the environment, which fills the rest when asked', () => {
    const env = { HTTP_PROXY: 'http://envp:1', HTTPS_PROXY: 'http://envs:2', NO_PROXY: 'a.example' };
    const mixed = ProxySelector.from({ httpsProxy: 'http://mine:3', env: true }, env);
    assert.equal(proxyFor(mixed, 'https://b.example/'), 'http://mine:3/');
    assert.equal(proxyFor(mixed, 'http://b.example/'), 'http://envp:1/');
    assert.equal(proxyFor(mixed, 'http://a.example/'), null);
    const alone = ProxySelector.from({ httpsProxy: 'http://mine:3' }, env);
    assert.equal(proxyFor(alone, 'http://b.example/'), null, 'without env, no http proxy');
    assert.equal(proxyFor(alone, 'https://a.example/'), 'http://mine:3/', 'and no NO_PROXY');
  });

  test('bad settings are TypeErrors naming the option or the variable', () => {
    assert.throws(() => ProxySelector.from('socks5://p:1080'), /proxy must be an http: or https: URL/);
    assert.throws(
      () => ProxySelector.from('http://u:secret@p:1'),
      (e: Error) => {
        assert.match(e.message, /user name or password/);
        assert.ok(!e.message.includes('secret'), 'the password is not repeated');
        return true;
      },
    );
    assert.throws(() => ProxySelector.from('http://p:1/path'), /no path/);
    assert.throws(() => ProxySelector.from('env', { https_proxy: 'ftp://p' }), /https_proxy must be/);
    assert.throws(
      () => ProxySelector.from({ httpProxy: 'http://p:1', noproxy: 'x' } as never),
      /did you mean "noProxy"/,
    );
    assert.throws(() => ProxySelector.from(42 as never), /proxy must be a proxy URL, 'env'/);
  });
});
