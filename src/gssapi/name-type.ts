import { OID } from './oid.js';

/**
 * Name types for {@link Name} (RFC 2743 section 4, RFC 1964 section 2.1, RFC 6680).
 *
 * @example
 * ```ts
 * import { Name, NameType } from 'http-gssapi/gssapi';
 * const service = new Name('HTTP@web.example.org', NameType.hostbasedService);
 * const user = new Name('alice@EXAMPLE.ORG', NameType.krb5Principal);
 * ```
 */
export const NameType = {
  /** `service@host` (`GSS_C_NT_HOSTBASED_SERVICE`, RFC 2743 section 4.1). */
  hostbasedService: OID.fromIntSeq('1.2.840.113554.1.2.1.4'),
  /** A local login name (`GSS_C_NT_USER_NAME`). */
  user: OID.fromIntSeq('1.2.840.113554.1.2.1.1'),
  /** A numeric uid in host byte order (`GSS_C_NT_MACHINE_UID_NAME`). */
  machineUid: OID.fromIntSeq('1.2.840.113554.1.2.1.2'),
  /** A uid as decimal text (`GSS_C_NT_STRING_UID_NAME`). */
  stringUid: OID.fromIntSeq('1.2.840.113554.1.2.1.3'),
  /** The anonymous name (`GSS_C_NT_ANONYMOUS`). */
  anonymous: OID.fromIntSeq('1.3.6.1.5.6.3'),
  /** An exported name token (`GSS_C_NT_EXPORT_NAME`, RFC 2743 section 3.2). */
  export: OID.fromIntSeq('1.3.6.1.5.6.4'),
  /** A Kerberos principal, `primary/instance@REALM` (`GSS_KRB5_NT_PRINCIPAL_NAME`, RFC 1964). */
  krb5Principal: OID.fromIntSeq('1.2.840.113554.1.2.2.1'),
  /** An enterprise principal, `user@upn.suffix@REALM` (`GSS_KRB5_NT_ENTERPRISE_NAME`, RFC 6806). */
  krb5Enterprise: OID.fromIntSeq('1.2.840.113554.1.2.2.6'),
} as const;
