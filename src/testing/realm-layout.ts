/**
 * Where a {@link TestRealm} keeps each file in its directory, what its two principals are
 * called, and the variables that point programs there. Internal: not exported from
 * `http-gssapi/testing`.
 *
 * @module
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestRealmEnv, TestRealmService, TestRealmUser } from './test-realm-types.js';
import { TestingError } from './testing-error.js';

/**
 * Creates a new, empty realm directory under the system's temp directory (`TMPDIR`).
 *
 * @throws TestingError `ERR_TEST_REALM_SETUP` when the temp directory is not writable.
 *
 * @example
 * ```ts
 * const dir = await createRealmDir(); // e.g. /tmp/http-gssapi-realm-Xb12cd
 * ```
 */
export async function createRealmDir(): Promise<string> {
  try {
    return await mkdtemp(join(tmpdir(), 'http-gssapi-realm-'));
  } catch (cause) {
    throw new TestingError('ERR_TEST_REALM_SETUP', `cannot create the realm directory in ${tmpdir()}`, {
      cause,
    });
  }
}

/** Files inside the realm's directory. */
export interface RealmPaths {
  readonly krb5Config: string;
  readonly kdcProfile: string;
  readonly database: string;
  readonly stash: string;
  readonly acl: string;
  readonly kdcLog: string;
  /** krb5kdc's own stdout and stderr: what it says before its log is open. */
  readonly kdcOutput: string;
  readonly kdcPid: string;
  readonly ccache: string;
  readonly userKeytab: string;
  readonly serviceKeytab: string;
  readonly unusedClientKeytab: string;
  readonly rcache: string;
}

/** Everything of a realm that follows from its name, host name, directory and user password. */
export interface RealmLayout {
  readonly paths: RealmPaths;
  /** The default ccache, `FILE:<dir>/ccache`. */
  readonly ccache: string;
  readonly user: TestRealmUser;
  readonly service: TestRealmService;
  readonly env: TestRealmEnv;
}

/**
 * Lays a realm out in `dir`. Nothing is written: the files are created by the realm's setup.
 *
 * @example
 * ```ts
 * const { paths, user, env } = realmLayout('HTTPGSSAPI.TEST', 'localhost', dir, password);
 * ```
 */
export function realmLayout(realm: string, hostname: string, dir: string, userPassword: string): RealmLayout {
  const paths: RealmPaths = {
    krb5Config: join(dir, 'krb5.conf'),
    kdcProfile: join(dir, 'kdc.conf'),
    database: join(dir, 'principal'),
    stash: join(dir, 'stash'),
    acl: join(dir, 'kadm5.acl'),
    kdcLog: join(dir, 'kdc.log'),
    kdcOutput: join(dir, 'krb5kdc.out'),
    kdcPid: join(dir, 'krb5kdc.pid'),
    ccache: join(dir, 'ccache'),
    userKeytab: join(dir, 'user.keytab'),
    serviceKeytab: join(dir, 'service.keytab'),
    unusedClientKeytab: join(dir, 'no-default-client.keytab'),
    rcache: join(dir, 'rcache'),
  };
  const ccache = `FILE:${paths.ccache}`;
  // Not enumerable: logging or serialising the user object must not print the password.
  const user = Object.freeze(
    Object.defineProperty({ principal: `user@${realm}`, keytab: paths.userKeytab }, 'password', {
      value: userPassword,
      enumerable: false,
    }) as TestRealmUser,
  );
  const service = Object.freeze({
    principal: `HTTP/${hostname}@${realm}`,
    hostname,
    keytab: paths.serviceKeytab,
  });
  const env = Object.freeze({
    KRB5_CONFIG: paths.krb5Config,
    KRB5_KDC_PROFILE: paths.kdcProfile,
    KRB5CCNAME: ccache,
    KRB5_KTNAME: `FILE:${paths.serviceKeytab}`,
    KRB5RCACHEDIR: paths.rcache,
  });
  return { paths, ccache, user, service, env };
}
