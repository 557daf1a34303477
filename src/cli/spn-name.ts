/**
 * A service principal name as the user types it, as a GSSAPI name.
 *
 * @module
 */
import { Name } from '../gssapi/name.js';
import { NameType } from '../gssapi/name-type.js';
import { CliError, EXIT } from './exit-codes.js';

/**
 * `HTTP@host` is a host-based service name (RFC 2743 section 4.1), which the mechanism maps to
 * `HTTP/host@REALM` by its own rules (krb5.conf `[domain_realm]`, DNS canonicalization);
 * `HTTP/host` and `HTTP/host@REALM` are Kerberos principal names, used as written.
 *
 * @throws {CliError} `EXIT.USAGE` for an empty or malformed name.
 * @example
 * ```ts
 * spnName('HTTP@web.example.org'); // host-based service name
 * spnName('HTTP/web.example.org@EXAMPLE.ORG'); // Kerberos principal name
 * ```
 */
export function spnName(spn: string): Name {
  if (!/^[^\s@/]+(?:@[^\s@/]+|\/[^\s@/]+(?:@[^\s@/]+)?)$/.test(spn)) {
    throw new CliError(
      EXIT.USAGE,
      `not a service principal name: '${spn}'`,
      "write it as 'HTTP@host' (host-based) or 'HTTP/host@REALM' (Kerberos principal)",
    );
  }
  return spn.includes('/') ? new Name(spn, NameType.krb5Principal) : new Name(spn, NameType.hostbasedService);
}
