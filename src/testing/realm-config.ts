/**
 * The krb5.conf and kdc.conf of a {@link TestRealm}. Internal: not exported from
 * `http-gssapi/testing`.
 *
 * @module
 */
import { mkdir, writeFile } from 'node:fs/promises';
import type { RealmPaths } from './realm-layout.js';
import { TestingError } from './testing-error.js';

/** What the two files are made from. */
export interface RealmConfigParams {
  readonly realm: string;
  readonly hostname: string;
  readonly dir: string;
  /** The port krb5kdc listens on (UDP and TCP, 127.0.0.1). */
  readonly kdcPort: number;
  /** Where clients send requests: the KDC itself, or the delay proxy in front of it. */
  readonly kdcAddress: string;
  /** True when `kdcAddress` is a TCP-only proxy. */
  readonly tcpOnly: boolean;
  readonly maxLife: string;
  readonly maxRenewableLife: string;
  readonly paths: RealmPaths;
}

/** The client side, read through `KRB5_CONFIG` by kinit, klist and libgssapi_krb5. */
export function krb5Conf(p: RealmConfigParams): string {
  const lines = [
    '# Written by http-gssapi TestRealm; removed by realm.stop().',
    '[libdefaults]',
    `  default_realm = ${p.realm}`,
    // Nothing may come from DNS: the realm exists only in this file, and a lookup that times out
    // on a machine without network turns a 10 ms test into a 10 s one.
    '  dns_lookup_kdc = false',
    '  dns_lookup_realm = false',
    '  dns_canonicalize_hostname = false',
    '  rdns = false',
    // MIT >= 1.18 appends the first resolv.conf search domain to a short name ("localhost"
    // would become "localhost.corp.example"), which would miss HTTP/localhost in the database.
    '  qualify_shortname = ""',
    // Delegation (GSS_C_DELEG_FLAG) needs a forwardable TGT; without it MIT skips delegation
    // silently and a delegation test would pass for the wrong reason.
    '  forwardable = true',
    // Defaults that would otherwise point at the machine's own files (/tmp/krb5cc_<uid>,
    // /etc/krb5.keytab): a process that gets only KRB5_CONFIG still stays inside the realm.
    `  default_ccache_name = FILE:${p.paths.ccache}`,
    `  default_keytab_name = FILE:${p.paths.serviceKeytab}`,
    // A file that never exists, instead of the machine's /var/lib/krb5/user/<uid>/client.keytab:
    // with a client keytab MIT silently replaces a missing or expired TGT, which would hide the
    // "no ticket" and "expired ticket" paths. Tests opt in with KRB5_CLIENT_KTNAME.
    `  default_client_keytab_name = FILE:${p.paths.unusedClientKeytab}`,
  ];
  // The delay proxy speaks TCP only; a size limit of 1 byte makes every request go over TCP
  // (RFC 4120 section 7.2.2 lets clients choose).
  if (p.tcpOnly) lines.push('  udp_preference_limit = 1');
  lines.push(
    '',
    '[realms]',
    `  ${p.realm} = {`,
    `    kdc = ${p.kdcAddress}`,
    '  }',
    '',
    '[domain_realm]',
    `  ${p.hostname} = ${p.realm}`,
    `  .${p.hostname} = ${p.realm}`,
    '',
  );
  return lines.join('\n');
}

/** The KDC side, read through `KRB5_KDC_PROFILE` by krb5kdc, kdb5_util and kadmin.local. */
export function kdcConf(p: RealmConfigParams): string {
  const listen = `127.0.0.1:${p.kdcPort}`;
  return [
    '# Written by http-gssapi TestRealm; removed by realm.stop().',
    // The defaults are 88 and 750 on every address; listing the ports in [kdcdefaults] too keeps
    // krb5kdc from binding those even if a realm section is ignored.
    '[kdcdefaults]',
    `  kdc_ports = ${listen}`,
    `  kdc_tcp_ports = ${listen}`,
    '',
    '[realms]',
    `  ${p.realm} = {`,
    `    database_name = ${p.paths.database}`,
    `    key_stash_file = ${p.paths.stash}`,
    `    acl_file = ${p.paths.acl}`,
    `    kdc_ports = ${listen}`,
    `    kdc_tcp_ports = ${listen}`,
    // The KDC caps every ticket at the realm's max_life as well as at the principals' (which
    // kadmin copies from here when it creates them), so a short value here is enough for
    // tickets that expire during a test.
    `    max_life = ${p.maxLife}`,
    `    max_renewable_life = ${p.maxRenewableLife}`,
    '  }',
    '',
    '[logging]',
    `  kdc = FILE:${p.paths.kdcLog}`,
    `  admin_server = FILE:${p.paths.kdcLog}`,
    `  default = FILE:${p.paths.kdcLog}`,
    '',
  ].join('\n');
}

/**
 * Writes krb5.conf, kdc.conf and an empty kadm5.acl, and creates the replay cache directory.
 *
 * @throws TestingError `ERR_TEST_REALM_SETUP` when the directory is not writable.
 *
 * @example
 * ```ts
 * await writeRealmFiles({ realm: 'HTTPGSSAPI.TEST', hostname: 'localhost', dir, kdcPort, kdcAddress, tcpOnly: false, maxLife: '10h', maxRenewableLife: '7d', paths: realmPaths(dir) });
 * ```
 */
export async function writeRealmFiles(params: RealmConfigParams): Promise<void> {
  const { paths } = params;
  try {
    await mkdir(paths.rcache);
    await writeFile(paths.krb5Config, krb5Conf(params));
    await writeFile(paths.kdcProfile, kdcConf(params));
    // Nobody gets kadmind rights: only kadmin.local (direct database access) is used.
    await writeFile(paths.acl, '');
  } catch (cause) {
    throw new TestingError('ERR_TEST_REALM_SETUP', `cannot write the realm's files in ${params.dir}`, {
      cause,
    });
  }
}
