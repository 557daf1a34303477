/**
 * The Python program through which an {@link AdTestRealm} administers its Samba directory. It
 * uses Samba's own Python bindings (what `samba-tool` is built on) on the realm's `sam.ldb`, and
 * takes a whole batch of operations as JSON on stdin: passwords never appear on a command line
 * (where `samba-tool user create NAME PASSWORD` puts them), and a user's 200 groups cost one
 * process and one transaction (about 1 s) instead of 400 `samba-tool` runs (0.4 s each).
 *
 * Internal: not exported from `http-gssapi/testing`.
 *
 * @module
 */

/**
 * One operation of a batch. Account names are `sAMAccountName`s; every operation but `settings`
 * names one.
 */
export type SambaAdminOperation =
  | {
      readonly op: 'settings';
      /** Bad passwords before an account locks; 0 never locks. */
      readonly lockoutThreshold?: number;
    }
  | {
      readonly op: 'user';
      readonly name: string;
      readonly password: string;
      /** `msDS-SupportedEncryptionTypes` (AD: 0x18 = AES only; unset = RC4 service tickets). */
      readonly encryptionTypes?: number;
      /** `userPrincipalName`; default `name@<dns domain>`. */
      readonly userPrincipalName?: string;
    }
  | { readonly op: 'groups'; readonly name: string; readonly groups: readonly string[] }
  | { readonly op: 'spn'; readonly name: string; readonly spn: string }
  | { readonly op: 'password'; readonly name: string; readonly password: string }
  | { readonly op: 'flags'; readonly name: string; readonly flags: number; readonly on: boolean }
  | { readonly op: 'expire'; readonly name: string }
  | { readonly op: 'must-change'; readonly name: string }
  | { readonly op: 'unlock'; readonly name: string }
  | { readonly op: 'show'; readonly name: string; readonly attributes: readonly string[] }
  | { readonly op: 'keytab'; readonly principal: string; readonly path: string };

/**
 * `userAccountControl` bits ([MS-ADTS] section 2.2.16) the realm sets.
 *
 * @example
 * ```ts
 * const op: SambaAdminOperation = { op: 'flags', name: 'alice', flags: USER_ACCOUNT_CONTROL.NOT_DELEGATED, on: true };
 * ```
 */
export const USER_ACCOUNT_CONTROL = {
  ACCOUNTDISABLE: 0x2,
  TRUSTED_FOR_DELEGATION: 0x80000,
  NOT_DELEGATED: 0x100000,
} as const;

/**
 * The program. Run as `python3 -c SCRIPT <smb.conf>` with the JSON array of operations on stdin;
 * prints one JSON array with each operation's result (null, or the attributes `show` asked for).
 * A failure prints Samba's message on stderr and exits 1, after the operations before it took
 * effect (each is its own transaction, like the `samba-tool` command it stands for).
 */
export const SAMBA_ADMIN_SCRIPT = String.raw`
import json, sys
import ldb
import samba
from samba.auth import system_session
from samba.param import LoadParm
from samba.samdb import SamDB

def main():
    lp = LoadParm()
    lp.load(sys.argv[1])
    db = SamDB(url=lp.samdb_url(), session_info=system_session(), lp=lp)
    base = db.domain_dn()
    results = []

    def account_filter(name):
        return '(&(objectClass=user)(sAMAccountName=%s))' % ldb.binary_encode(name)

    def account_dn(name):
        found = db.search(base=base, scope=ldb.SCOPE_SUBTREE, expression=account_filter(name), attrs=[])
        if len(found) != 1:
            raise Exception('no account named %s' % name)
        return found[0].dn

    def modify(dn, attribute, values, flag):
        message = ldb.Message()
        message.dn = dn
        message[attribute] = ldb.MessageElement(values, flag, attribute)
        db.modify(message)

    for op in json.load(sys.stdin):
        kind = op['op']
        result = None
        if kind == 'settings':
            # A test realm takes any password and changes it at once; lockout only when asked.
            domain = ldb.Message()
            domain.dn = ldb.Dn(db, str(base))
            values = {'pwdProperties': '0', 'minPwdLength': '0', 'minPwdAge': '0', 'pwdHistoryLength': '0',
                      'lockoutThreshold': str(op.get('lockoutThreshold', 0))}
            for attribute, value in values.items():
                domain[attribute] = ldb.MessageElement(value, ldb.FLAG_MOD_REPLACE, attribute)
            db.modify(domain)
        elif kind == 'user':
            db.newuser(op['name'], op['password'])
            if 'userPrincipalName' in op:
                modify(account_dn(op['name']), 'userPrincipalName', op['userPrincipalName'], ldb.FLAG_MOD_REPLACE)
            if 'encryptionTypes' in op:
                modify(account_dn(op['name']), 'msDS-SupportedEncryptionTypes', str(op['encryptionTypes']), ldb.FLAG_MOD_REPLACE)
        elif kind == 'groups':
            member = str(account_dn(op['name']))
            db.transaction_start()
            try:
                for group in op['groups']:
                    db.add({'dn': 'CN=%s,CN=Users,%s' % (group, base), 'objectClass': 'group',
                            'sAMAccountName': group, 'member': member})
            except Exception:
                db.transaction_cancel()
                raise
            db.transaction_commit()
        elif kind == 'spn':
            modify(account_dn(op['name']), 'servicePrincipalName', op['spn'], ldb.FLAG_MOD_ADD)
        elif kind == 'password':
            db.setpassword(account_filter(op['name']), op['password'])
        elif kind == 'flags':
            db.toggle_userAccountFlags(account_filter(op['name']), op['flags'], on=op['on'], strict=False)
        elif kind == 'expire':
            db.setexpiry(account_filter(op['name']), -86400)
        elif kind == 'must-change':
            db.force_password_change_at_next_login(account_filter(op['name']))
        elif kind == 'unlock':
            db.unlock_account(account_filter(op['name']))
        elif kind == 'show':
            found = db.search(base=base, scope=ldb.SCOPE_SUBTREE, expression=account_filter(op['name']),
                              attrs=op['attributes'])
            if len(found) != 1:
                raise Exception('no account named %s' % op['name'])
            result = {a: [str(v) for v in found[0][a]] if a in found[0] else [] for a in op['attributes']}
        elif kind == 'keytab':
            samba.enable_net_export_keytab()
            from samba.net import Net
            Net(None, lp).export_keytab(keytab=op['path'], principal=op['principal'])
        else:
            raise Exception('unknown operation %s' % kind)
        results.append(result)
    json.dump(results, sys.stdout)

try:
    main()
except Exception as error:
    sys.stderr.write('%s: %s\n' % (type(error).__name__, error))
    sys.exit(1)
`;
