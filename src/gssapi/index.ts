/**
 * `http-gssapi/gssapi`: typed GSSAPI (RFC 2743) over the system library. Objects own their
 * handles: call `dispose()` (or use `using`) when done. Calls that can reach the KDC or the disk
 * return promises and run off the event loop.
 *
 * @example
 * ```ts
 * import { Credentials, Name, NameType, OID, SecurityContext } from 'http-gssapi/gssapi';
 * const creds = await Credentials.acquire({ usage: 'initiate', store: { client_keytab: '/etc/app.keytab' } });
 * const ctx = new SecurityContext({ usage: 'initiate', creds, mech: OID.SPNEGO,
 *   name: new Name('HTTP@web.example.org', NameType.hostbasedService) });
 * const token = await ctx.step();
 * ```
 * @module
 */
export { ChannelBindings, type ChannelBindingsInit, type EndPointHash } from './channel-bindings.js';
export {
  type AcquireCredentialsOptions,
  type CredentialStore,
  Credentials,
  type CredentialUsage,
  type PasswordCredentialsOptions,
} from './credentials.js';
export { type CredentialFailure, GSSError, type GSSErrorCode, krb5ErrorName } from './gss-error.js';
export { liveHandleCount } from './handle.js';
export type { Krb5ErrorName } from './krb5-error-names.js';
export { Name } from './name.js';
export { NameType } from './name-type.js';
export { describeOid, OID } from './oid.js';
export {
  type GssapiProviderKind,
  gssapiProvider,
  type ProviderCapabilities,
  providerCapabilities,
  selectGssapiProvider,
} from './provider.js';
export { ContextFlag } from './raw/constants.js';
export {
  type AcceptorOptions,
  ContextStateError,
  type ContextStateErrorCode,
  type InitiatorOptions,
  SecurityContext,
} from './security-context.js';
export { SSPIError } from './sspi/sspi-error.js';
