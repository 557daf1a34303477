/**
 * Which forward proxy a request goes through: a fixed proxy URL, or the environment
 * (`HTTP_PROXY`, `HTTPS_PROXY` read the way undici's `EnvHttpProxyAgent` reads them; `NO_PROXY` as curl
 * and Go read it, see `no-proxy.ts`).
 *
 * @module
 */
import { checkOptionKeys } from '../internal/option-keys.js';
import { NoProxyList } from './no-proxy.js';

/**
 * Where requests go: a proxy URL (`'http://proxy.example.org:3128'`, a `URL`), `'env'` for the
 * environment, or a {@link ProxySettings} object.
 *
 * @example
 * ```ts
 * const setting: ProxySetting = process.env.CI ? 'env' : 'http://proxy.corp.example:3128';
 * ```
 */
export type ProxySetting = string | URL | ProxySettings;

/**
 * Proxies per scheme and the hosts reached directly. A field left out is taken from the
 * environment when `env` is true, else means "none".
 *
 * @example
 * ```ts
 * const settings: ProxySettings = { httpsProxy: 'http://proxy:3128', noProxy: 'localhost,.corp.example' };
 * ```
 */
export interface ProxySettings {
  /** Proxy for `http:` URLs. */
  readonly httpProxy?: string | URL;
  /** Proxy for `https:` URLs; default the `httpProxy`. */
  readonly httpsProxy?: string | URL;
  /**
   * Hosts reached without a proxy, as `NO_PROXY` spells them: comma or space separated
   * `host`, `host:port`, `.domain` or `*.domain` (the domain and every host under it), IP
   * addresses (`127.0.0.1`, `::1`, `[::1]:8080`), CIDR ranges (`10.0.0.0/8`), or `*` as the
   * whole value for every host (see {@link NoProxyList}).
   */
  readonly noProxy?: string;
  /** Fill the fields left out from the environment, as `'env'` does. Default false. */
  readonly env?: boolean;
}

/**
 * A proxy URL, checked: `http:` or `https:`, nothing but scheme, host and port. A value without
 * a scheme (`proxy.corp:3128`, as `HTTP_PROXY` is often set) means `http://`.
 *
 * @throws {TypeError} naming `what` for anything else. A user name or password in the URL is
 *   refused: this proxy is authenticated with Negotiate, and a password in a URL ends up in logs.
 * @example
 * ```ts
 * parseProxyUrl('proxy.corp.example:3128', 'HTTPS_PROXY').href; // 'http://proxy.corp.example:3128/'
 * ```
 */
export function parseProxyUrl(value: string | URL, what: string): URL {
  const text = String(value).trim();
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
  } catch {
    throw new TypeError(`${what} must be an http(s) proxy URL like 'http://proxy.example.org:3128'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`${what} must be an http: or https: URL, got ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new TypeError(
      `${what} must not carry a user name or password: the proxy is authenticated with Negotiate (Kerberos)`,
    );
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw new TypeError(`${what} must have no path, query or fragment`);
  }
  return new URL(url.origin);
}

/**
 * Chooses the proxy for each request URL. Built from a {@link ProxySetting}; with `'env'`, the
 * proxies are read once, when it is made, and `NO_PROXY` at each request, exactly as undici's
 * `EnvHttpProxyAgent` does: lower case before upper case (`http_proxy`, then `HTTP_PROXY`;
 * `https_proxy`, then `HTTPS_PROXY`), an https URL without an https proxy uses the http one,
 * `no_proxy` before `NO_PROXY`. A `NO_PROXY` entry matches its host and every subdomain, on
 * any port unless it names one; `*` alone matches every host; IPv6 addresses bare (`::1`) or
 * bracketed (`[::1]:8080`), and CIDR ranges, as curl and Go read them ({@link NoProxyList}).
 *
 * @example
 * ```ts
 * const selector = ProxySelector.from('env');
 * selector.proxyFor(new URL('https://example.org/')); // URL of HTTPS_PROXY, or null
 * ```
 */
export class ProxySelector {
  readonly #http: URL | null;
  readonly #https: URL | null;
  /** The fixed NO_PROXY value, or null to read the environment at each request. */
  readonly #noProxy: string | null;
  readonly #env: NodeJS.ProcessEnv;
  #parsedFrom: string | null = null;
  #noProxyList: NoProxyList = NoProxyList.parse('');

  private constructor(http: URL | null, https: URL | null, noProxy: string | null, env: NodeJS.ProcessEnv) {
    this.#http = http;
    this.#https = https;
    this.#noProxy = noProxy;
    this.#env = env;
  }

  /**
   * Makes a selector, checking the setting now.
   *
   * @param setting - a proxy URL (every request through it), `'env'`, or {@link ProxySettings}.
   * @param env - the environment read for `'env'`; default `process.env`.
   * @throws {TypeError} for a setting that is not one of these, or a proxy URL that is not
   *   an http(s) URL (the message names the variable or option).
   * @example
   * ```ts
   * const fixed = ProxySelector.from('http://proxy.example.org:3128');
   * const mixed = ProxySelector.from({ env: true, noProxy: 'localhost' });
   * ```
   */
  static from(setting: ProxySetting, env: NodeJS.ProcessEnv = process.env): ProxySelector {
    if (setting === 'env') setting = { env: true };
    if (typeof setting === 'string' || setting instanceof URL) {
      const url = parseProxyUrl(setting, 'proxy');
      return new ProxySelector(url, url, '', env);
    }
    if (typeof setting !== 'object' || setting === null) {
      throw new TypeError("proxy must be a proxy URL, 'env' or { httpProxy, httpsProxy, noProxy, env }");
    }
    checkOptionKeys(setting, ['httpProxy', 'httpsProxy', 'noProxy', 'env'], 'proxy setting');
    const fromEnv = setting.env ?? false;
    if (typeof fromEnv !== 'boolean') throw new TypeError('proxy env must be a boolean');
    const pick = (option: 'httpProxy' | 'httpsProxy', lower: string, upper: string): URL | null => {
      const given = setting[option];
      if (given !== undefined) return parseProxyUrl(given, `proxy ${option}`);
      if (!fromEnv) return null;
      const value = env[lower] ?? env[upper];
      return value ? parseProxyUrl(value, env[lower] !== undefined ? lower : upper) : null;
    };
    const http = pick('httpProxy', 'http_proxy', 'HTTP_PROXY');
    const https = pick('httpsProxy', 'https_proxy', 'HTTPS_PROXY') ?? http;
    if (setting.noProxy !== undefined && typeof setting.noProxy !== 'string') {
      throw new TypeError('proxy noProxy must be a string');
    }
    const noProxy = setting.noProxy ?? (fromEnv ? null : '');
    return new ProxySelector(http, https, noProxy, env);
  }

  /**
   * The proxy for `url`, or null to connect directly (no proxy for its scheme, or `NO_PROXY`
   * names its host).
   *
   * @example
   * ```ts
   * const proxy = selector.proxyFor(new URL('http://intranet.corp.example/'));
   * ```
   */
  proxyFor(url: URL): URL | null {
    const proxy = url.protocol === 'https:' ? this.#https : url.protocol === 'http:' ? this.#http : null;
    if (proxy === null) return null;
    return this.#bypasses(url) ? null : proxy;
  }

  /** Whether `NO_PROXY` (or the `noProxy` setting) names the URL's host. */
  #bypasses(url: URL): boolean {
    const value = this.#noProxy ?? this.#env['no_proxy'] ?? this.#env['NO_PROXY'] ?? '';
    if (value !== this.#parsedFrom) {
      this.#noProxyList = NoProxyList.parse(value);
      this.#parsedFrom = value;
    }
    return this.#noProxyList.bypasses(url);
  }
}
