/**
 * The Samba programs an {@link AdTestRealm} runs: `samba` (the AD DC, of which only the KDC is
 * started), `samba-tool` (provisioning) and the Python interpreter that has Samba's bindings.
 * Internal: not exported from `http-gssapi/testing`.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isExecutable } from './krb5-tools.js';
import { TestingError } from './testing-error.js';

/** Absolute paths of the Samba programs, found once per realm. */
export interface SambaTools {
  readonly samba: string;
  readonly 'samba-tool': string;
  /** The interpreter of `samba-tool` (its `#!` line): the one that can `import samba`. */
  readonly python: string;
}

/** Environment variable naming the directory of `samba` and `samba-tool`, for a Samba built elsewhere. */
export const SAMBA_SBIN_ENV = 'HTTP_GSSAPI_SAMBA_SBIN';

/**
 * What to install. Debian's `samba-ad-dc` pulls in the AD DC; with `--no-install-recommends`
 * the provisioning data (`samba-ad-provision`) must be named too.
 */
export const SAMBA_INSTALL_HINT =
  'Install the Samba Active Directory domain controller: Debian/Ubuntu ' +
  '`apt-get install --no-install-recommends samba-ad-dc samba-ad-provision`; ' +
  `a Samba installed elsewhere can be named with ${SAMBA_SBIN_ENV} (the directory of samba and samba-tool).`;

/**
 * Finds the Samba programs, or throws `ERR_TEST_REALM_MISSING_TOOLS` naming what is missing and
 * how to install it (a test can turn that into a skip reason).
 *
 * @example
 * ```ts
 * const tools = await locateSambaTools();
 * ```
 */
export async function locateSambaTools(): Promise<SambaTools> {
  const dirs = process.env[SAMBA_SBIN_ENV] ? [process.env[SAMBA_SBIN_ENV]] : ['/usr/sbin', '/usr/bin'];
  const find = async (program: string) => {
    for (const dir of dirs) {
      const path = join(dir, program);
      if (await isExecutable(path)) return path;
    }
    return null;
  };
  const samba = await find('samba');
  const sambaTool = await find('samba-tool');
  const missing = [
    ...(samba ? [] : dirs.map((dir) => join(dir, 'samba'))),
    ...(sambaTool ? [] : dirs.map((dir) => join(dir, 'samba-tool'))),
  ];
  let python: string | null = null;
  if (sambaTool) {
    // samba-tool is a Python script; its own interpreter is the one with the samba module (a
    // python3 first on PATH, e.g. pyenv's, usually is not).
    const shebang = /^#!\s*(\S+)/.exec(await readFile(sambaTool, 'utf8').catch(() => ''))?.[1];
    if (shebang && (await isExecutable(shebang))) python = shebang;
    else missing.push(`the interpreter of ${sambaTool} (${shebang ?? 'no #! line'})`);
  }
  if (!samba || !sambaTool || !python) {
    throw new TestingError(
      'ERR_TEST_REALM_MISSING_TOOLS',
      `AdTestRealm needs Samba's AD DC; not found: ${missing.join(', ')}. ${SAMBA_INSTALL_HINT}`,
      { missing, hint: SAMBA_INSTALL_HINT },
    );
  }
  return { samba, 'samba-tool': sambaTool, python };
}
