/**
 * `http-gssapi/testing`: a throwaway MIT Kerberos realm ({@link TestRealm}), a throwaway Active
 * Directory domain on Samba ({@link AdTestRealm}) and a slow-network
 * TCP proxy ({@link DelayProxy}) for integration tests of code that uses Kerberos, yours or ours.
 * Needs the MIT KDC programs (Debian/Ubuntu: `apt-get install krb5-kdc krb5-admin-server krb5-user`).
 *
 * @example
 * ```ts
 * import { TestRealm } from 'http-gssapi/testing';
 * const realm = await TestRealm.start();
 * const restore = realm.applyEnv();
 * // ... the user has a forwardable TGT; HTTP/localhost's keytab is realm.service.keytab
 * restore();
 * await realm.stop();
 * ```
 * @module
 */
export { AdTestRealm } from './ad-test-realm.js';
export type { AdTestRealmOptions } from './ad-test-realm-options.js';
export type { AdAccount, AdUserOptions } from './ad-test-realm-types.js';
export { DelayProxy, type DelayProxyOptions } from './delay-proxy.js';
export type { Krb5ToolPaths } from './krb5-tools.js';
export { NegotiateTestServer } from './negotiate-server.js';
export type {
  NegotiateTestServerOptions,
  NegotiateTestServerTls,
  RecordedRequest,
  TestServerBehavior,
  TestServerChannelBindings,
} from './negotiate-server-types.js';
export { TestRealm } from './test-realm.js';
export type { TestRealmOptions } from './test-realm-options.js';
export type {
  AddPrincipalOptions,
  KinitOptions,
  KinitSecret,
  Krb5ClientEnv,
  PrincipalKey,
  TestRealmEnv,
  TestRealmService,
  TestRealmUser,
} from './test-realm-types.js';
export { TestingError, type TestingErrorCode, type TestingErrorOptions } from './testing-error.js';
