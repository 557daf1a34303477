/**
 * Accept credentials from a keytab on a C GSSAPI library without `gss_acquire_cred_from`
 * (Heimdal 7): the keytab is registered process-wide (`gsskrb5_register_acceptor_identity`),
 * then `gss_acquire_cred` reads it. Because the registration is the library's global state,
 * one keytab per process: a different one is refused, never switched to under acceptors that
 * already use the first (and under default acceptor credentials, which follow it too).
 *
 * @module
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { GSSError } from '../gss-error.js';
import type { AcquireInput } from '../provider-types.js';
import * as raw from '../raw/index.js';
import { GssapiLibraryError, loadGssapiLibrary } from '../raw/library.js';

/** `GSS_S_NO_CRED` (RFC 2744 section 3.9.1), what MIT's `gss_acquire_cred_from` says for a missing keytab. */
const GSS_S_NO_CRED = 7 << 16;

/** The keytab registered in this process, normalised (see {@link keytabKey}), once registered. */
let registered: string | null = null;
/** Registration and the acquisition after it run one at a time. */
let queue: Promise<unknown> = Promise.resolve();

/**
 * Whether this acquisition takes the registration route: accept credentials whose store holds a
 * keytab and nothing else, on a library that has the registration but not `gss_acquire_cred_from`.
 * Anything else goes to `gss_acquire_cred_from` as before (`ERR_GSSAPI_UNSUPPORTED` where absent).
 *
 * @example
 * ```ts
 * registersKeytab({ usage: 'accept', store: { keytab: '/etc/http.keytab' } }); // true on Heimdal 7
 * ```
 */
export function registersKeytab(input: Pick<AcquireInput, 'usage' | 'store'>): boolean {
  const { store } = input;
  if (input.usage !== 'accept' || !store) return false;
  const keys = Object.keys(store);
  if (keys.length !== 1 || keys[0] !== 'keytab') return false;
  const { capabilities } = loadGssapiLibrary().info;
  return !capabilities.acquireCredFrom && capabilities.registerAcceptorIdentity;
}

/** The path of a FILE keytab (`FILE:path`, or a bare path); null for another kind (`MEMORY:`, ...). */
function fileKeytab(keytab: string): string | null {
  const typed = /^([A-Za-z]+):(.*)$/.exec(keytab);
  if (!typed) return keytab;
  return typed[1]!.toUpperCase() === 'FILE' ? typed[2]! : null;
}

/** How registered keytabs are compared: a FILE keytab by its absolute path, any other as written. */
function keytabKey(keytab: string): string {
  const path = fileKeytab(keytab);
  return path === null ? keytab : `FILE:${resolve(path)}`;
}

/**
 * A keytab file that is missing or holds no key, refused with the code MIT's
 * `gss_acquire_cred_from` gives for it: Heimdal 7.8's registration fails then too, but with
 * `GSS_S_FAILURE` and no minor code ("Miscellaneous failure"), which says nothing of the file.
 */
async function checkFile(keytab: string): Promise<void> {
  const path = fileKeytab(keytab);
  if (path === null) return;
  // A keytab file starts with a 2-byte version (0x0502); one that holds nothing more has no key.
  const size = await stat(path).then(
    (s) => (s.isFile() ? s.size : 0),
    () => 0,
  );
  if (size > 2) return;
  throw new GSSError(
    'gsskrb5_register_acceptor_identity',
    { major: GSS_S_NO_CRED, minor: 0 },
    {
      context: `keytab=${keytab}`,
      provided: {
        majorName: 'GSS_S_NO_CRED',
        code: 'KRB5_KT_NOTFOUND',
        messages: [`keytab ${keytab} is nonexistent or empty`],
        hint: undefined,
      },
    },
  );
}

async function register(keytab: string): Promise<void> {
  const key = keytabKey(keytab);
  if (registered === key) return;
  if (registered !== null) {
    throw new GssapiLibraryError(
      'ERR_GSSAPI_KEYTAB_IN_USE',
      `the acceptor keytab is set for the whole process (${registered}) and ${loadGssapiLibrary().info.path} ` +
        `cannot read ${keytab} beside it: it lacks gss_acquire_cred_from`,
      'use one acceptor keytab per process (merge the keys into one keytab), or MIT krb5 1.11 or later',
    );
  }
  await checkFile(keytab);
  const major = await raw.registerAcceptorIdentity(keytab);
  if (raw.isError(major)) {
    throw new GSSError(
      'gsskrb5_register_acceptor_identity',
      { major, minor: 0 },
      { context: `keytab=${keytab}` },
    );
  }
  registered = key;
}

/**
 * Registers `keytab` as the process's acceptor keytab (once; the same keytab again is fine) and
 * then runs `acquire`, with no other registration in between.
 *
 * @throws {GssapiLibraryError} `ERR_GSSAPI_KEYTAB_IN_USE` for a keytab other than the registered one.
 * @throws {GSSError} `KRB5_KT_NOTFOUND` for a keytab file that is missing or holds no key.
 * @example
 * ```ts
 * const r = await withAcceptorKeytab('/etc/http.keytab', () => raw.acquireCred({ name: NO_NAME, lifetime: INDEFINITE, mechs: null, usage: CredUsage.ACCEPT }));
 * ```
 */
export function withAcceptorKeytab<T>(keytab: string, acquire: () => Promise<T>): Promise<T> {
  const run = queue.then(async () => {
    await register(keytab);
    return acquire();
  });
  queue = run.catch(() => {});
  return run;
}
