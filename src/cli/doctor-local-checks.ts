/**
 * The `doctor` checks that need no network: the GSSAPI library, krb5.conf, the credential
 * cache, the proxy environment.
 *
 * @module
 */
import { userInfo } from 'node:os';
import { CredentialSource } from '../core/credential-source.js';
import type { CredentialsDescription } from '../core/options.js';
import { Credentials } from '../gssapi/credentials.js';
import { loadGssapiLibrary } from '../gssapi/raw/library.js';
import type { Finding } from './doctor-finding.js';
import { adviceFor } from './gss-failure-advice.js';
import { gssapiLibraryVersion } from './gssapi-library-version.js';
import type { Krb5Profile } from './krb5-profile.js';
import { selectProxy } from './proxy-environment.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Which GSSAPI library loaded, from where, which release, and its optional extensions.
 *
 * @example
 * ```ts
 * checkLibrary().status; // 'ok', or 'problem' with the package to install
 * ```
 */
export function checkLibrary(): Finding {
  let loaded: ReturnType<typeof loadGssapiLibrary>;
  try {
    loaded = loadGssapiLibrary();
  } catch (error) {
    const e = error as { message?: string; hint?: string; code?: string };
    return {
      check: 'GSSAPI library',
      status: 'problem',
      summary: e.message ?? String(error),
      ...(e.code ? { code: e.code } : {}),
      ...(e.hint ? { fix: e.hint } : {}),
    };
  }
  const { info } = loaded;
  const version = gssapiLibraryVersion(info.path);
  const missing = Object.entries(info.capabilities)
    .filter(([, present]) => !present)
    .map(([name]) => name);
  return {
    check: 'GSSAPI library',
    status: 'ok',
    summary: `${version.release ?? `${info.provider} (release unknown)`}: ${info.path}${version.file && version.file !== info.path ? ` (${version.file})` : ''}`,
    details: [
      `provider ${info.provider}${process.env['HTTP_GSSAPI_LIBRARY'] ? ' (HTTP_GSSAPI_LIBRARY)' : ''}`,
      missing.length ? `extensions missing: ${missing.join(', ')}` : 'extensions: all present',
      ...info.tried.filter((t) => t.error).map((t) => `tried ${t.candidate}: ${t.error}`),
    ],
  };
}

/**
 * The krb5.conf files in use and what in them matters for HTTP: default realm, DNS
 * canonicalization, encryption types.
 */
export function checkConfig(profile: Krb5Profile): Finding {
  const read = profile.files.filter((f) => f.read);
  const unread = profile.files.filter((f) => !f.read);
  const details = [
    ...profile.files.map((f) => `${f.path}: ${f.read ? 'read' : `not read (${f.error})`}`),
    ...[
      'default_realm',
      'dns_canonicalize_hostname',
      'rdns',
      'dns_lookup_kdc',
      'dns_lookup_realm',
      'default_ccache_name',
      'permitted_enctypes',
      'default_tkt_enctypes',
      'default_tgs_enctypes',
      'clockskew',
      'kdc_timesync',
    ]
      .map((key) => [key, profile.value('libdefaults', key)] as const)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key} = ${value}`),
  ];
  const where = profile.source === 'KRB5_CONFIG' ? 'from KRB5_CONFIG' : 'default, KRB5_CONFIG not set';
  if (read.length === 0) {
    return {
      check: 'krb5.conf',
      status: 'problem',
      summary: `no krb5.conf could be read (${where}): ${unread.map((f) => f.path).join(', ')}`,
      details,
      fix: 'create /etc/krb5.conf (Debian: krb5-config package; or copy it from a working machine) or point KRB5_CONFIG at one',
    };
  }
  const realm = profile.value('libdefaults', 'default_realm');
  return {
    check: 'krb5.conf',
    status: realm ? 'ok' : 'warn',
    summary: `${read.map((f) => f.path).join(', ')} (${where})${realm ? `; default realm ${realm}` : '; no default_realm'}`,
    details,
    ...(realm ? {} : { fix: 'set default_realm in [libdefaults] (or map your hosts in [domain_realm])' }),
  };
}

/** The ccache the library uses: `ccache` given, KRB5CCNAME, krb5.conf default_ccache_name, or MIT's built-in default. */
export function ccacheName(profile: Krb5Profile, env: Env, given?: string): { name: string; from: string } {
  if (given) return { name: given, from: '--ccache' };
  if (env['KRB5CCNAME']) return { name: env['KRB5CCNAME'], from: 'KRB5CCNAME' };
  const configured = profile.value('libdefaults', 'default_ccache_name');
  const uid = String(process.getuid?.() ?? 0);
  const expand = (text: string) =>
    text
      .replaceAll('%{uid}', uid)
      .replaceAll('%{euid}', String(process.geteuid?.() ?? uid))
      .replaceAll('%{TEMP}', env['TMPDIR'] ?? '/tmp')
      .replaceAll('%{username}', userInfo().username);
  if (configured) return { name: expand(configured), from: 'krb5.conf default_ccache_name' };
  return { name: `FILE:/tmp/krb5cc_${uid}`, from: "MIT's built-in default" };
}

/** "9 h 58 min" for a number of seconds. */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} h ${minutes % 60} min` : `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/**
 * The client credentials: whose, from which ccache (type and name), until when; or why there
 * are none. Returns the credentials for the service check (null: defaults, or none).
 */
export async function checkCredentials(
  description: CredentialsDescription | null,
  profile: Krb5Profile,
  env: Env,
): Promise<{ finding: Finding; usable: boolean }> {
  const loginKind = description?.keytab ? 'keytab' : description?.password !== undefined ? 'password' : null;
  const cache = ccacheName(profile, env, description?.ccache);
  const type = /^([A-Za-z]+):/.exec(cache.name)?.[1]?.toUpperCase() ?? 'FILE';
  const from = loginKind
    ? `a ${loginKind} login${description?.principal ? ` as ${description.principal}` : ''}`
    : `ccache ${cache.name} (type ${type}, ${cache.from})`;
  let creds: Credentials | null = null;
  const source =
    loginKind || description?.principal || description?.ccache ? new CredentialSource(description) : null;
  try {
    creds = source ? await source.get() : await Credentials.acquire({ usage: 'initiate' });
    if (creds && !source) await creds.inquire();
  } catch (error) {
    const failure = adviceFor(error, { spn: '', realm: '' });
    source?.dispose();
    return {
      finding: {
        check: 'credentials',
        status: 'problem',
        summary: `${failure.diagnosis}: ${from}`,
        ...(failure.code ? { code: failure.code, details: [failure.message] } : {}),
        ...(failure.fix ? { fix: failure.fix } : {}),
      },
      usable: false,
    };
  }
  try {
    const principal = creds?.name ? String(creds.name) : 'unknown principal';
    const lifetime = creds?.lifetime ?? null;
    const expiry =
      lifetime === null
        ? 'no expiry known'
        : `expires ${new Date(Date.now() + lifetime * 1000).toISOString()} (in ${formatDuration(lifetime)})`;
    if (lifetime === 0) {
      return {
        finding: {
          check: 'credentials',
          status: 'problem',
          summary: `the ticket of ${principal} has expired: ${from}`,
          code: 'GSS_S_CREDENTIALS_EXPIRED',
          fix: 'renew it with `kinit -R` or get a new one with `kinit`',
        },
        usable: false,
      };
    }
    const short = lifetime !== null && lifetime < 600;
    return {
      finding: {
        check: 'credentials',
        status: short ? 'warn' : 'ok',
        summary: `${principal}, ${expiry}: ${from}`,
        ...(short ? { fix: 'the ticket expires soon: `kinit -R` (renewable) or `kinit`' } : {}),
      },
      usable: true,
    };
  } finally {
    if (!source) creds?.dispose();
    source?.dispose();
  }
}

/** The proxy the environment selects for the URL (or every proxy variable set, without one). */
export function checkProxy(url: URL | null, env: Env): Finding {
  const set = Object.keys(env)
    .filter((k) => /^(?:https?|all|no)_proxy$/i.test(k))
    .sort()
    .map((k) => `${k}=${env[k]}`);
  if (!url) {
    return { check: 'proxy', status: 'info', summary: set.length ? set.join(' ') : 'no proxy variables set' };
  }
  const selection = selectProxy(url, env);
  const summary = selection.proxy
    ? `${url.protocol}// requests go through ${selection.proxy} (${selection.variable})`
    : selection.bypassedBy
      ? `no proxy for ${url.hostname}: no_proxy entry '${selection.bypassedBy}' bypasses ${selection.variable}`
      : `no proxy for ${url.protocol}// (none set)`;
  return {
    check: 'proxy',
    status: 'info',
    summary,
    details: [
      ...set,
      ...(selection.proxy
        ? [
            'curl, npm, git and pip use it; `http-gssapi URL` connects directly (Node fetch does not read these variables)',
          ]
        : []),
    ],
  };
}
