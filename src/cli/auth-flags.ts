/**
 * The flags that set {@link HTTPSPNEGOAuthOptions}, shared by every command that authenticates
 * (`http-gssapi URL`, `token`, `doctor`). Each flag is one line in {@link AUTH_FLAGS} with what it sets:
 * a new option of the library becomes a new flag by adding one entry.
 *
 * @module
 */
import { HTTPSPNEGOAuth } from '../core/http-spnego-auth.js';
import { type HTTPSPNEGOAuthOptions, KRB5, SPNEGO } from '../core/options.js';
import { OID } from '../gssapi/oid.js';
import { CliError, EXIT } from './exit-codes.js';
import type { FlagSpec, FlagValues } from './flag-spec.js';
import { readPassword } from './password-prompt.js';

type Mutable<T> = { -readonly [K in keyof T]?: T[K] };

/** What one flag sets: HTTPSPNEGOAuth options, fields of the `creds` description, or where the password comes from. */
export interface AuthPatch {
  readonly options?: Mutable<HTTPSPNEGOAuthOptions>;
  readonly creds?: { readonly principal?: string; readonly ccache?: string; readonly keytab?: string };
  /** Where the password comes from; never the command line. */
  readonly password?: { readonly env: string } | 'prompt';
}

/** A flag and what it sets when given (`value` is the flag's value; a boolean flag has none). */
export interface AuthFlag extends FlagSpec {
  readonly sets: (value: string) => AuthPatch;
}

const usage = (message: string, hint?: string) => new CliError(EXIT.USAGE, message, hint);

/**
 * `--mech`: a mechanism by name or dotted OID. `default` lets GSSAPI choose (`mech: null`).
 *
 * @example
 * ```ts
 * parseMech('krb5'); // KRB5
 * ```
 */
export function parseMech(value: string): OID | null {
  switch (value.toLowerCase()) {
    case 'spnego':
      return SPNEGO;
    case 'krb5':
    case 'kerberos':
      return KRB5;
    case 'default':
      return null;
  }
  if (/^\d+(?:\.\d+)+$/.test(value)) return OID.fromIntSeq(value);
  throw usage(`--mech must be spnego, krb5, default or a dotted OID, got '${value}'`);
}

function parseBytes(value: string): number {
  if (!/^\d+$/.test(value)) throw usage(`--max-replay-body-size must be a number of bytes, got '${value}'`);
  return Number(value);
}

function parseMilliseconds(value: string): number {
  if (!/^\d+$/.test(value)) throw usage(`--kdc-timeout must be a number of milliseconds, got '${value}'`);
  return Number(value);
}

/** Every flag that maps to an HTTPSPNEGOAuth option, in `--help` order. */
// biome-ignore format: a table, one flag per line
export const AUTH_FLAGS: readonly AuthFlag[] = [
  { name: 'mutual', type: 'string', value: 'MODE', help: 'mutual authentication: required, optional or disabled (default disabled)', sets: (v) => ({ options: { mutualAuthentication: v as never } }) },
  { name: 'target-name', type: 'string', value: 'NAME', help: "service ('HTTP', the default: HTTP@<host>) or 'service@host'", sets: (v) => ({ options: { targetName: v } }) },
  { name: 'delegate', type: 'boolean', help: 'delegate credentials (forward the TGT) to the server', sets: () => ({ options: { delegate: true } }) },
  { name: 'delegate-policy', type: 'boolean', help: 'delegate only to services the KDC marks ok-as-delegate', sets: () => ({ options: { delegate: 'policy' } }) },
  { name: 'opportunistic', type: 'boolean', help: 'send a token with the first request, before any 401', sets: () => ({ options: { opportunisticAuth: true } }) },
  { name: 'principal', type: 'string', value: 'NAME', help: 'client principal (user@REALM): from the ccache, or to log in as', sets: (v) => ({ creds: { principal: v } }) },
  { name: 'keytab', type: 'string', value: 'FILE', help: 'log in from a client keytab (no kinit needed)', sets: (v) => ({ creds: { keytab: v } }) },
  { name: 'ccache', type: 'string', value: 'NAME', help: 'credential cache to use (FILE:/path, KCM:, ...); default KRB5CCNAME', sets: (v) => ({ creds: { ccache: v } }) },
  { name: 'password-env', type: 'string', value: 'VAR', help: 'log in as --principal with the password in environment variable VAR', sets: (v) => ({ password: { env: v } }) },
  { name: 'ask-password', type: 'boolean', help: 'log in as --principal with a password asked on the terminal', sets: () => ({ password: 'prompt' }) },
  { name: 'mech', type: 'string', value: 'MECH', help: 'mechanism: spnego (default), krb5, default (GSSAPI chooses) or a dotted OID', sets: (v) => ({ options: { mech: parseMech(v) } }) },
  { name: 'no-sanitize-mutual-error', type: 'boolean', help: 'keep body and headers of an error response that failed mutual authentication', sets: () => ({ options: { sanitizeMutualErrorResponse: false } }) },
  { name: 'no-session-cookies', type: 'boolean', help: "neither keep nor send the server's session cookies", sets: () => ({ options: { sessionCookies: false } }) },
  { name: 'no-learned-preemption', type: 'boolean', help: 'do not send tokens up front to origins that asked before (redirect hops)', sets: () => ({ options: { learnedPreemption: false } }) },
  { name: 'max-replay-body-size', type: 'string', value: 'BYTES', help: 'largest streamed body kept for a resend after 401 (default 1048576)', sets: (v) => ({ options: { maxReplayBodySize: parseBytes(v) } }) },
  { name: 'no-channel-bindings', type: 'boolean', help: 'send https tokens unbound to the TLS channel (bindings are on by default, RFC 5929)', sets: () => ({ options: { channelBindings: false } }) },
  { name: 'kdc-timeout', type: 'string', value: 'MS', help: 'give up waiting for GSSAPI (the KDC) after MS milliseconds (default 5000)', sets: (v) => ({ options: { kdcTimeout: parseMilliseconds(v) } }) },
  { name: 'server-allowlist', type: 'string', value: 'HOSTS', help: "only these hosts get tokens ('*.corp.example.org, intranet')", sets: (v) => ({ options: { serverAllowlist: v } }) },
  { name: 'delegate-allowlist', type: 'string', value: 'HOSTS', help: 'delegate only to these hosts (with --delegate)', sets: (v) => ({ options: { delegateAllowlist: v } }) },
];

/**
 * The auth flags with these names, in table order: the subset a command takes.
 *
 * @example
 * ```ts
 * const flags = authFlagsNamed(['principal', 'keytab', 'ccache']);
 * ```
 */
export function authFlagsNamed(names: readonly string[]): readonly AuthFlag[] {
  return AUTH_FLAGS.filter((flag) => names.includes(flag.name));
}

/** The flags that choose the client credentials. */
export const CREDENTIAL_FLAG_NAMES: readonly string[] = [
  'principal',
  'keytab',
  'ccache',
  'password-env',
  'ask-password',
];

/**
 * Applies the auth flags in `values` and makes the {@link HTTPSPNEGOAuth}: the password, if
 * any, is read now (environment variable or terminal prompt), and the library's own option
 * checks run, their TypeErrors becoming usage errors.
 *
 * @throws {CliError} `EXIT.USAGE` for a bad value or combination.
 * @example
 * ```ts
 * const auth = await authFromFlags(values, { stdin: process.stdin, stderr: process.stderr, env: process.env });
 * ```
 */
export async function authFromFlags(values: FlagValues, io: PasswordIo): Promise<HTTPSPNEGOAuth> {
  return new HTTPSPNEGOAuth(await authOptionsFromFlags(values, io));
}

/** Where a password can come from. */
export interface PasswordIo {
  readonly stdin: NodeJS.ReadStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The {@link HTTPSPNEGOAuthOptions} the flags ask for, validated by the library. */
export async function authOptionsFromFlags(
  values: FlagValues,
  io: PasswordIo,
): Promise<HTTPSPNEGOAuthOptions> {
  const options: Mutable<HTTPSPNEGOAuthOptions> = {};
  const creds: { principal?: string; ccache?: string; keytab?: string; password?: string } = {};
  let password: AuthPatch['password'];
  for (const flag of AUTH_FLAGS) {
    const value = values[flag.name];
    if (value === undefined || value === false) continue;
    const patch = flag.sets(typeof value === 'string' ? value : '');
    Object.assign(options, patch.options);
    Object.assign(creds, patch.creds);
    password = patch.password ?? password;
  }
  if (values['delegate'] === true && values['delegate-policy'] === true) {
    throw usage('--delegate and --delegate-policy are exclusive');
  }
  if (values['password-env'] !== undefined && values['ask-password'] === true) {
    throw usage('--password-env and --ask-password are exclusive');
  }
  if (password !== undefined) {
    if (creds.principal === undefined) throw usage('a password login needs --principal');
    creds.password = await passwordFrom(password, creds.principal, io);
  }
  if (Object.keys(creds).length > 0) options.creds = creds;
  try {
    // The library's own checks, at construction (a bad --mutual, --password-env with --keytab, ...).
    new HTTPSPNEGOAuth(options).dispose();
  } catch (error) {
    if (error instanceof TypeError) throw usage(flagWording(error.message), 'see --help');
    throw error;
  }
  return options;
}

async function passwordFrom(source: { readonly env: string } | 'prompt', principal: string, io: PasswordIo) {
  if (source === 'prompt') return readPassword(`Password for ${principal}: `, io.stdin, io.stderr);
  const password = io.env[source.env];
  if (password === undefined || password === '') {
    throw usage(`--password-env ${source.env}: the environment variable is not set or empty`);
  }
  return password;
}

/** The library names options; the user typed flags. */
function flagWording(message: string): string {
  return message
    .replace(/^mutualAuthentication/, '--mutual')
    .replace(/^targetName/, '--target-name')
    .replace('creds.password and creds.keytab', 'a password and --keytab');
}
