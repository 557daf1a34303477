/**
 * The unprivileged account a server started by root switches to, and handing it its files.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { chown, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** A local account from /etc/passwd. */
export interface ServiceAccount {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** Whether this process runs as root (CI and these machines do). */
export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * The first of `names` present in /etc/passwd. Apache refuses to serve as root and squid refuses
 * to run as root, so when the tests run as root the servers start as root (to open their logs) and
 * then switch to this account, which must be able to read the keytab and write the replay cache.
 */
export function serviceAccount(names: readonly string[]): ServiceAccount {
  const entries = new Map<string, ServiceAccount>();
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name && uid && gid) entries.set(name, { name, uid: Number(uid), gid: Number(gid) });
  }
  for (const name of names) {
    const account = entries.get(name);
    if (account) return account;
  }
  throw new Error(`none of the accounts ${names.join(', ')} exists in /etc/passwd`);
}

/** `chown -R`: gives a server's whole temp directory to the account it runs as. */
export async function chownTree(path: string, account: ServiceAccount): Promise<void> {
  await chown(path, account.uid, account.gid);
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await chownTree(child, account);
    else await chown(child, account.uid, account.gid);
  }
}
