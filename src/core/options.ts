import { Credentials } from '../gssapi/credentials.js';
import { Name } from '../gssapi/name.js';
import { OID } from '../gssapi/oid.js';
import { checkCredentialSources } from '../gssapi/provider.js';
import { checkOptionKeys, likelyMeant } from '../internal/option-keys.js';
import type { HttpGssapiError } from './errors.js';
import { type HostMatcher, type HostPatterns, hostMatcher } from './host-policy.js';
import { hidePassword } from './redact.js';

/** Mutual authentication: the server must prove its identity with its final token. */
export const REQUIRED = 'required';
/** Mutual authentication is verified when the server sends a token, skipped otherwise. */
export const OPTIONAL = 'optional';
/** Mutual authentication is not requested and never verified. */
export const DISABLED = 'disabled';

/** One of {@link REQUIRED}, {@link OPTIONAL}, {@link DISABLED}. */
export type MutualAuthentication = typeof REQUIRED | typeof OPTIONAL | typeof DISABLED;

/** SPNEGO (RFC 4178): what `Negotiate` means in RFC 4559, and the default mechanism. */
export const SPNEGO: OID = OID.SPNEGO;
/** Raw Kerberos V5 (RFC 4121), for servers that accept it without SPNEGO wrapping. */
export const KRB5: OID = OID.KRB5;

/**
 * A credential description acquired once, on first use. Each field is optional; combine them:
 * - `{}` or `{ principal }`: the default ccache (what `kinit` filled), optionally a given principal in it;
 * - `{ ccache }`: a specific credential cache (`FILE:/path`, `KCM:`, `MEMORY:name`);
 * - `{ keytab, principal? }`: log in from a client keytab, with no kinit (tickets are kept in a
 *   private memory ccache unless `ccache` is given);
 * - `{ principal, password }`: log in with a password, with no kinit (memory ccache).
 */
export interface CredentialsDescription {
  readonly principal?: string;
  readonly ccache?: string;
  readonly keytab?: string;
  readonly password?: string;
}

/** Options of {@link HTTPSPNEGOAuth}; names and meanings follow the Python original (camelCased). */
export interface HTTPSPNEGOAuthOptions {
  /** Default {@link DISABLED}, as in the Python original (see docs/compatibility.md for when to pick another). */
  readonly mutualAuthentication?: MutualAuthentication;
  /**
   * `'HTTP'` (default) becomes `HTTP@<request host>`; `'svc@host'` is used as is; a Name is used
   * unchanged. A fixed name (`'svc@host'`, a Name) is used only for the host the request is made
   * to: a redirect to another host gets no token.
   */
  readonly targetName?: string | Name;
  /**
   * `true` delegates credentials (forwards the ticket-granting ticket) to the host the request is
   * made to; a redirect hop to another host gets `'policy'` instead. `'policy'` delegates only to
   * services the KDC marks ok-as-delegate (RFC 5896). Default false.
   */
  readonly delegate?: boolean | 'policy';
  /** Send a token on the first request, before any 401. Default false. */
  readonly opportunisticAuth?: boolean;
  /** Credentials for every context, or a description acquired once. Default: the default ccache. */
  readonly creds?: Credentials | CredentialsDescription | null;
  /** Mechanism; default {@link SPNEGO}; `null` lets GSSAPI choose. */
  readonly mech?: OID | null;
  /** Strip body and headers from an error response that could not be authenticated. Default true. */
  readonly sanitizeMutualErrorResponse?: boolean;
  /**
   * Once an origin answered with a Negotiate challenge, send a token up front on later requests
   * to it, saving a round trip each. Default true. (Not in the Python original.)
   */
  readonly learnedPreemption?: boolean;
  /**
   * Largest request body (bytes) buffered so it can be resent after a 401. A larger streamed
   * body is sent once with a token up front. Default 1 MiB.
   */
  readonly maxReplayBodySize?: number;
  /**
   * Keep the cookies servers set on responses to requests this auth handles, per origin (RFC 6265
   * scoping, never sent to another origin), and send them back; while a session cookie is held
   * for a URL no token goes up front, and a Negotiate 401 drops it and negotiates at once. What
   * makes a server that authenticates once per session (Hadoop, mod_auth_gssapi
   * `GssapiUseSessions`) cost one handshake instead of one per request. Default true, as the
   * Python original gets it from httpx's client.
   */
  readonly sessionCookies?: boolean;
  /**
   * Bind each token to the TLS connection that carries it (RFC 5929 `tls-server-end-point`
   * channel bindings, what IIS and Windows Server 2025 call Extended Protection for
   * Authentication): on https, every token is made with a hash of the certificate of the
   * connection it is sent on. Servers that do not check bindings accept such tokens too.
   * Plain http and the proxy leg carry none. Default true; false sends tokens unbound.
   * See docs/channel-bindings.md.
   */
  readonly channelBindings?: boolean;
  /**
   * Longest wait (ms) for one GSSAPI call of a request (a token, which may need a ticket from the
   * KDC): past it the request stops waiting and its 401 comes back with a `KdcTimeoutError`
   * (`ERR_KDC_TIMEOUT`) as the reason. Default {@link DEFAULT_KDC_TIMEOUT} (5 s); MIT krb5 itself
   * waits ~27 s for a KDC that accepts and never answers. See docs/security.md.
   */
  readonly kdcTimeout?: number;
  /**
   * Hosts that may receive a Negotiate token at all (Chrome's AuthServerAllowlist syntax:
   * `'*.corp.example.org, intranet'` or an array; `'*'` is any host). Any other host gets no
   * token: its Negotiate 401 comes back with the reason. Default: every host.
   */
  readonly serverAllowlist?: HostPatterns;
  /**
   * Hosts to which `delegate` applies (Chrome's AuthNegotiateDelegateAllowlist): other hosts get
   * no delegation. Default: every host the request is made to (see `delegate`).
   */
  readonly delegateAllowlist?: HostPatterns;
  /**
   * Whether NTLM may be used (gss-ntlmssp with a C GSSAPI library, the NTLM package on Windows).
   * Default false: with SPNEGO only Kerberos is negotiated (the credentials are limited to it, as
   * the provider can: `gss_set_neg_mechs`, or at acquisition), and any
   * NTLM token is refused before it is sent (`ERR_NTLM_NOT_ALLOWED`), so a failing Kerberos
   * never falls back to NTLM silently. `mech: OID.NTLMSSP` needs it true.
   */
  readonly allowNtlm?: boolean;
  /** Called when the exchange fails and the 401 is returned instead (also logged and published). */
  readonly onError?: (error: HttpGssapiError, info: { readonly url: string }) => void;
}

/** Options after validation, with defaults applied. */
export interface ResolvedOptions {
  readonly mutualAuthentication: MutualAuthentication;
  readonly targetName: string | Name;
  readonly delegate: false | true | 'policy';
  readonly opportunisticAuth: boolean;
  readonly creds: Credentials | CredentialsDescription | null;
  readonly mech: OID | null;
  readonly sanitizeMutualErrorResponse: boolean;
  readonly learnedPreemption: boolean;
  readonly maxReplayBodySize: number;
  readonly sessionCookies: boolean;
  readonly channelBindings: boolean;
  readonly kdcTimeout: number;
  readonly serverAllowlist: HostMatcher | null;
  readonly delegateAllowlist: HostMatcher | null;
  readonly allowNtlm: boolean;
  readonly onError: HTTPSPNEGOAuthOptions['onError'] | undefined;
}

const CREDS_KEYS: readonly string[] = ['principal', 'ccache', 'keytab', 'password'];

function bool(options: HTTPSPNEGOAuthOptions, key: keyof HTTPSPNEGOAuthOptions, fallback: boolean): boolean {
  const value = options[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${key} must be a boolean, got ${typeof value}`);
  return value;
}

/** Every option of {@link HTTPSPNEGOAuthOptions}; anything else is a TypeError (with a suggestion). */
const OPTION_KEYS: readonly (keyof HTTPSPNEGOAuthOptions)[] = [
  'mutualAuthentication',
  'targetName',
  'delegate',
  'opportunisticAuth',
  'creds',
  'mech',
  'sanitizeMutualErrorResponse',
  'learnedPreemption',
  'maxReplayBodySize',
  'sessionCookies',
  'channelBindings',
  'kdcTimeout',
  'serverAllowlist',
  'delegateAllowlist',
  'allowNtlm',
  'onError',
];

/**
 * The default {@link HTTPSPNEGOAuthOptions.kdcTimeout}: 5 s, far above a healthy KDC's answer
 * (milliseconds; a TGS exchange with a cross-realm referral is a few round trips) and far below
 * the ~27 s MIT krb5 1.20 spends on a KDC that never answers (docs/security.md).
 *
 * @example
 * ```ts
 * import { DEFAULT_KDC_TIMEOUT, HTTPSPNEGOAuth } from 'http-gssapi';
 * const auth = new HTTPSPNEGOAuth({ kdcTimeout: 2 * DEFAULT_KDC_TIMEOUT }); // a KDC across an ocean
 * ```
 */
export const DEFAULT_KDC_TIMEOUT = 5000;

/**
 * Validates options at construction, naming the option in each TypeError. Unknown keys are
 * errors too (`mutual_authentication`, `mutualAuth`: did you mean `mutualAuthentication`?), so a
 * misspelled security option never goes unnoticed.
 */
export function resolveOptions(options: HTTPSPNEGOAuthOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  checkOptionKeys(options, OPTION_KEYS, 'HTTPSPNEGOAuth option');
  // 'REQUIRED' (the constant's name, as Python spells it) means REQUIRED.
  const given = options.mutualAuthentication ?? DISABLED;
  const mutual = typeof given === 'string' ? given.toLowerCase() : given;
  if (mutual !== REQUIRED && mutual !== OPTIONAL && mutual !== DISABLED) {
    throw new TypeError(
      `mutualAuthentication must be REQUIRED, OPTIONAL or DISABLED ('required', 'optional', 'disabled'), got ${String(given)}`,
    );
  }
  const targetName = options.targetName ?? 'HTTP';
  if (
    !(targetName instanceof Name) &&
    (typeof targetName !== 'string' || targetName === '' || /\s/.test(targetName))
  ) {
    throw new TypeError("targetName must be a service ('HTTP'), a 'service@host' string or a gssapi Name");
  }
  const delegate = options.delegate ?? false;
  if (delegate !== true && delegate !== false && delegate !== 'policy') {
    throw new TypeError(`delegate must be true, false or 'policy', got ${String(delegate)}`);
  }
  const creds = options.creds ?? null;
  if (creds !== null && !(creds instanceof Credentials)) {
    if (typeof creds !== 'object') throw new TypeError('creds must be a Credentials object or a description');
    for (const key of Object.keys(creds)) {
      if (!CREDS_KEYS.includes(key)) {
        const meant = likelyMeant(key, CREDS_KEYS);
        throw new TypeError(
          `creds.${key} is not a known field (principal, ccache, keytab, password)${meant ? `: did you mean creds.${meant}?` : ''}`,
        );
      }
      if (typeof (creds as Record<string, unknown>)[key] !== 'string')
        throw new TypeError(`creds.${key} must be a string`);
    }
    if (creds.password !== undefined && creds.principal === undefined) {
      throw new TypeError('creds.principal is required with creds.password');
    }
    if (creds.password !== undefined && creds.keytab !== undefined) {
      throw new TypeError('creds.password and creds.keytab are exclusive');
    }
    // The gssapi provider decides which credential sources exist (not every one has a ccache or a keytab).
    checkCredentialSources(creds);
  }
  const mech = options.mech === undefined ? SPNEGO : options.mech;
  if (mech !== null && !(mech instanceof OID)) throw new TypeError('mech must be an OID or null');
  const allowNtlm = bool(options, 'allowNtlm', false);
  if (mech?.equals(OID.NTLMSSP) && !allowNtlm) {
    throw new TypeError('mech: OID.NTLMSSP needs allowNtlm: true (NTLM is off by default)');
  }
  const maxReplayBodySize = options.maxReplayBodySize ?? 1024 * 1024;
  if (!Number.isInteger(maxReplayBodySize) || maxReplayBodySize < 0) {
    throw new TypeError('maxReplayBodySize must be a non-negative integer');
  }
  const kdcTimeout = options.kdcTimeout ?? DEFAULT_KDC_TIMEOUT;
  if (typeof kdcTimeout !== 'number' || !(kdcTimeout > 0) || kdcTimeout > 2 ** 31 - 1) {
    throw new TypeError(`kdcTimeout must be a number of milliseconds above 0, got ${String(kdcTimeout)}`);
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw new TypeError('onError must be a function');
  }
  return {
    mutualAuthentication: mutual as MutualAuthentication,
    targetName,
    delegate,
    opportunisticAuth: bool(options, 'opportunisticAuth', false),
    // Kept without an enumerable password, so that logging the auth never prints it.
    creds: creds === null || creds instanceof Credentials ? creds : hidePassword(creds),
    mech,
    sanitizeMutualErrorResponse: bool(options, 'sanitizeMutualErrorResponse', true),
    learnedPreemption: bool(options, 'learnedPreemption', true),
    maxReplayBodySize,
    sessionCookies: bool(options, 'sessionCookies', true),
    channelBindings: bool(options, 'channelBindings', true),
    kdcTimeout,
    serverAllowlist: hostMatcher(options.serverAllowlist, 'serverAllowlist'),
    delegateAllowlist: hostMatcher(options.delegateAllowlist, 'delegateAllowlist'),
    allowNtlm,
    onError: options.onError,
  };
}
