/**
 * Where an {@link AdTestRealm} keeps each file in its directory, what its user and service are
 * called, and how its KDC (Samba's AD DC, alone) is launched: the AD counterpart of
 * `realm-layout.ts`. Internal: not exported from `http-gssapi/testing`.
 *
 * @module
 */
import { join } from 'node:path';
import { randomAdPassword } from './ad-account-arguments.js';
import type { ResolvedAdTestRealmOptions } from './ad-test-realm-options.js';
import type { AdAccount } from './ad-test-realm-types.js';
import type { Krb5Tools } from './krb5-tools.js';
import type { RealmSetup } from './realm-base.js';
import { type SambaPaths, sambaPaths } from './samba-directory.js';
import type { SambaTools } from './samba-tools.js';
import { SecretRedactor } from './secret-redactor.js';
import type { Krb5ClientEnv, TestRealmService } from './test-realm-types.js';

/** Everything of a domain that follows from its options, tools, directory and ports. */
export interface AdRealmLayout {
  readonly setup: RealmSetup<Krb5ClientEnv>;
  readonly paths: SambaPaths;
  readonly redactor: SecretRedactor;
  readonly user: AdAccount & { readonly keytab: string };
  readonly service: TestRealmService & { readonly account: string };
}

/**
 * Lays a domain out in `dir`, with a fresh random password for its user. Nothing is written:
 * the files are created by provisioning.
 *
 * @example
 * ```ts
 * const { setup, user, service } = adRealmLayout(options, tools, dir, { kdc: 5088, kpasswd: 5089 });
 * ```
 */
export function adRealmLayout(
  options: ResolvedAdTestRealmOptions,
  tools: { readonly samba: SambaTools; readonly krb5: Krb5Tools },
  dir: string,
  ports: { readonly kdc: number; readonly kpasswd: number },
): AdRealmLayout {
  const { realm, hostname } = options;
  const redactor = new SecretRedactor();
  const password = randomAdPassword();
  redactor.add(password);
  const paths = sambaPaths(dir);
  const ccache = `FILE:${join(dir, 'ccache')}`;
  const krb5Config = join(dir, 'krb5.conf');
  // Not enumerable: logging or serialising the user object must not print the password.
  const user = Object.freeze(
    Object.defineProperty(
      { name: 'user', principal: `user@${realm}`, keytab: join(dir, 'user.keytab') },
      'password',
      {
        value: password,
        enumerable: false,
      },
    ) as AdAccount & { keytab: string },
  );
  const service = Object.freeze({
    principal: `HTTP/${hostname}@${realm}`,
    hostname,
    keytab: join(dir, 'service.keytab'),
    account: 'http-svc',
  });
  const setup: RealmSetup<Krb5ClientEnv> = {
    kind: 'AdTestRealm',
    name: realm,
    hostname,
    dir,
    kdcPort: ports.kdc,
    kdcAddress: `127.0.0.1:${ports.kdc}`,
    krb5Config,
    kdcLog: paths.log,
    ccache,
    env: Object.freeze({
      KRB5_CONFIG: krb5Config,
      KRB5CCNAME: ccache,
      KRB5_KTNAME: `FILE:${service.keytab}`,
      KRB5RCACHEDIR: join(dir, 'rcache'),
    }),
    tools: tools.krb5,
    redactor,
    log: options.log,
    startTimeoutMs: options.startTimeoutMs,
    ports: [ports.kdc, ports.kpasswd],
    launch: ({ log }) => ({
      // -i: interactive (foreground, logs to stdout); -M single: one process, nothing forked.
      command: tools.samba.samba,
      args: ['-i', '-M', 'single', '-s', paths.smbConf],
      env: { ...process.env, LC_ALL: 'C' },
      outputPath: paths.output,
      logFiles: [paths.log],
      redactor,
      log,
    }),
  };
  return { setup, paths, redactor, user, service };
}
