/**
 * Names as SSPI takes them. GSSAPI names a service `HTTP@host` (RFC 2743 section 4.1, a
 * host-based service); SSPI's InitializeSecurityContextW takes the Kerberos form `HTTP/host`
 * (Wine's secur32 fails on `HTTP@host`; Windows resolves it to the same SPN). A user is
 * `user@REALM` in GSSAPI and a user plus a domain in SEC_WINNT_AUTH_IDENTITY_W.
 *
 * @module
 */
import { hostname } from 'node:os';
import { NameType } from '../name-type.js';
import type { OID } from '../oid.js';
import { GssapiLibraryError } from '../raw/library.js';

/** A name of the SSPI provider: the text and name type it was made with (SSPI has no name objects). */
export interface SspiNameValue {
  readonly text: string;
  readonly type: OID | null;
}

function unsupportedType(type: OID): GssapiLibraryError {
  return new GssapiLibraryError(
    'ERR_GSSAPI_UNSUPPORTED',
    `the SSPI provider takes host-based service names and Kerberos principal names, not names of type ${String(type)}`,
    "name the target as 'HTTP@host' (NameType.hostbasedService) or 'HTTP/host@REALM' (NameType.krb5Principal)",
  );
}

/**
 * Checks a name when it is made, as gss_import_name would.
 *
 * @throws {GssapiLibraryError} `ERR_GSSAPI_UNSUPPORTED` for a name type SSPI cannot express.
 * @example
 * ```ts
 * checkSspiName({ text: 'HTTP@web.example.org', type: NameType.hostbasedService });
 * ```
 */
export function checkSspiName(value: SspiNameValue): void {
  const { type } = value;
  if (
    type !== null &&
    !type.equals(NameType.hostbasedService) &&
    !type.equals(NameType.krb5Principal) &&
    !type.equals(NameType.krb5Enterprise) &&
    !type.equals(NameType.user)
  ) {
    throw unsupportedType(type);
  }
  if (value.text === '' || /[\0]/.test(value.text)) {
    throw new TypeError('an SSPI name must be a non-empty string without NUL characters');
  }
}

/**
 * The `pszTargetName` for a target: `service@host` becomes `service/host` (a bare `service`
 * gets this machine's host name, as GSSAPI does); a Kerberos principal (`HTTP/host@REALM`) is
 * passed as it is.
 *
 * @example
 * ```ts
 * sspiTargetName({ text: 'HTTP@web.example.org', type: NameType.hostbasedService }); // 'HTTP/web.example.org'
 * ```
 */
export function sspiTargetName(value: SspiNameValue): string {
  const { text, type } = value;
  if (type?.equals(NameType.hostbasedService)) {
    const at = text.indexOf('@');
    if (at < 0) return `${text}/${hostname().toLowerCase()}`;
    return `${text.slice(0, at)}/${text.slice(at + 1)}`;
  }
  if (type === null || type.equals(NameType.krb5Principal)) return text;
  throw unsupportedType(type);
}

/**
 * Splits a user name into SEC_WINNT_AUTH_IDENTITY_W's User and Domain: `user@REALM` and
 * `user@upn.suffix@REALM` at the last `@`, `DOMAIN\user` at the backslash; a bare name has no
 * domain (the package then uses the machine's).
 *
 * @example
 * ```ts
 * sspiUserAndDomain('alice@EXAMPLE.ORG'); // { user: 'alice', domain: 'EXAMPLE.ORG' }
 * sspiUserAndDomain('EXAMPLE\\alice');    // { user: 'alice', domain: 'EXAMPLE' }
 * ```
 */
export function sspiUserAndDomain(principal: string): { user: string; domain: string | null } {
  const slash = principal.indexOf('\\');
  if (slash > 0) return { user: principal.slice(slash + 1), domain: principal.slice(0, slash) };
  const at = principal.lastIndexOf('@');
  if (at > 0 && at < principal.length - 1)
    return { user: principal.slice(0, at), domain: principal.slice(at + 1) };
  return { user: principal, domain: null };
}
