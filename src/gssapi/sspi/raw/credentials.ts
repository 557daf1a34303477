/**
 * Credential handles (sspi.h): AcquireCredentialsHandleW and FreeCredentialsHandle, 1:1.
 * Acquisition runs on a worker thread: with an explicit identity the package may reach the
 * domain controller (and under Wine, MIT krb5 may read files).
 *
 * @module
 */
import { callAsync } from '../../raw/call-limiter.js';
import { SEC_WINNT_AUTH_IDENTITY_UNICODE, SEC_WINNT_AUTH_IDENTITY_VERSION } from './constants.js';
import { packHandle, type SspiHandle, unpackHandle } from './handles.js';
import { bindSspi, sspiKoffi } from './library.js';
import { type SspiArena, sspiStructs, withSspiArena } from './memory.js';

const functions = bindSspi({
  acquire:
    'uint32_t AcquireCredentialsHandleW(void *principal, void *package, uint32_t use, void *logon_id, void *auth_data, void *get_key_fn, void *get_key_arg, void *credential, _Out_ int64_t *expiry)',
  free: 'uint32_t FreeCredentialsHandle(void *credential)',
});

/**
 * `pAuthData`: an explicit logon, a package list, or both; strings are passed as UTF-16.
 * Without a package list it is a SEC_WINNT_AUTH_IDENTITY_W; with one, a SEC_WINNT_AUTH_IDENTITY_EXW.
 */
export interface AuthIdentity {
  /** The user; null (with a null password) for the logged-on user's own credentials. */
  readonly user: string | null;
  /** The domain or Kerberos realm; null when `user` is a UPN (`alice@example.org`). */
  readonly domain: string | null;
  readonly password: string | null;
  /**
   * `PackageList` of SEC_WINNT_AUTH_IDENTITY_EXW: which packages Negotiate may use, comma
   * separated, `!` excluding one (`Kerberos,!NTLM`); null or absent for none.
   */
  readonly packageList?: string | null;
}

/**
 * Writes `identity` into `arena` as the structure AcquireCredentialsHandleW reads, returning its
 * address: a SEC_WINNT_AUTH_IDENTITY_W, or with a package list a SEC_WINNT_AUTH_IDENTITY_EXW
 * (Version 0x200, Length its own size). Lengths count UTF-16 units without the NUL; an absent
 * user is a NULL pointer with length 0 (the logged-on user, for the EX form).
 *
 * @example
 * ```ts
 * const authData = encodeAuthIdentity(arena, { user: null, domain: null, password: null, packageList: 'Kerberos,!NTLM' });
 * ```
 */
export function encodeAuthIdentity(arena: SspiArena, identity: AuthIdentity): bigint {
  const t = sspiStructs();
  const { user, domain, password } = identity;
  const strings = {
    User: arena.wide(user),
    UserLength: user?.length ?? 0,
    // An empty domain (not NULL) beside a user, as before: a UPN needs no domain.
    Domain: arena.wide(domain ?? (user === null ? null : '')),
    DomainLength: domain?.length ?? 0,
    Password: arena.wide(password),
    PasswordLength: password?.length ?? 0,
    Flags: SEC_WINNT_AUTH_IDENTITY_UNICODE,
  };
  const packageList = identity.packageList ?? null;
  if (packageList === null) {
    const authData = arena.struct(t.authIdentity);
    arena.encode(authData, t.authIdentity, strings);
    return authData;
  }
  const authData = arena.struct(t.authIdentityEx);
  arena.encode(authData, t.authIdentityEx, {
    Version: SEC_WINNT_AUTH_IDENTITY_VERSION,
    Length: sspiKoffi().sizeof(t.authIdentityEx),
    ...strings,
    PackageList: arena.wide(packageList),
    PackageListLength: packageList.length,
  });
  return authData;
}

/** Inputs of {@link acquireCredentialsHandle}. */
export interface AcquireCredentialsInput {
  /** `pszPrincipal`; null for the logged-on user. */
  readonly principal: string | null;
  /** `pszPackage`: `Negotiate`, `Kerberos` or `NTLM`. */
  readonly packageName: string;
  /** `fCredentialUse` (`CredentialUse`). */
  readonly use: number;
  /** `pAuthData`; null for the logged-on user's credentials. */
  readonly identity: AuthIdentity | null;
}

/** Outputs of {@link acquireCredentialsHandle}. */
export interface AcquireCredentialsResult {
  readonly status: number;
  readonly handle: SspiHandle;
  /** `ptsExpiry` as a FILETIME (100 ns ticks since 1601), as the package reported it. */
  readonly expiry: bigint;
}

/**
 * `AcquireCredentialsHandleW`.
 *
 * @example
 * ```ts
 * const r = await acquireCredentialsHandle({ principal: null, packageName: 'Negotiate', use: CredentialUse.OUTBOUND, identity: null });
 * if (!isSecError(r.status)) freeCredentialsHandle(r.handle);
 * ```
 */
export function acquireCredentialsHandle(input: AcquireCredentialsInput): Promise<AcquireCredentialsResult> {
  const fn = functions().acquire;
  return withSspiArena(async (arena) => {
    const t = sspiStructs();
    const authData = input.identity ? encodeAuthIdentity(arena, input.identity) : 0n;
    const credential = arena.struct(t.secHandle);
    const expiry = [0n];
    const status = await callAsync(fn, [
      arena.wide(input.principal),
      arena.wide(input.packageName),
      input.use,
      0n,
      authData,
      0n,
      0n,
      credential,
      expiry,
    ]);
    const h = sspiKoffi().decode(credential, t.secHandle) as {
      dwLower: bigint | number;
      dwUpper: bigint | number;
    };
    return {
      status: status >>> 0,
      handle: status >>> 0 < 0x80000000 ? packHandle(h.dwLower, h.dwUpper) : (0n as SspiHandle),
      expiry: BigInt(expiry[0] ?? 0n),
    };
  });
}

/**
 * `FreeCredentialsHandle`. Synchronous: it only releases memory.
 *
 * @example
 * ```ts
 * freeCredentialsHandle(handle);
 * ```
 */
export function freeCredentialsHandle(handle: SspiHandle): number {
  const fn = functions().free;
  const koffi = sspiKoffi();
  const t = sspiStructs();
  const { lower, upper } = unpackHandle(handle);
  const ptr = koffi.alloc(t.secHandle, 1) as bigint;
  try {
    koffi.encode(ptr, t.secHandle, { dwLower: lower, dwUpper: upper });
    return (fn(ptr) as number) >>> 0;
  } finally {
    koffi.free(ptr);
  }
}
