/**
 * The opaque handles and the status pair every raw GSSAPI call deals in (RFC 2744 section 3).
 *
 * @module
 */

declare const brand: unique symbol;

/**
 * A `gss_name_t`: the library's address of a name, as a `bigint`. Branded so that a credential
 * cannot be passed where a name is expected.
 *
 * @example
 * ```ts
 * const { name } = importName('HTTP@web.example.org', hostbasedServiceOid);
 * releaseName(name);
 * ```
 */
export type NameHandle = bigint & { readonly [brand]: 'gss_name_t' };

/**
 * A `gss_cred_id_t`.
 *
 * @example
 * ```ts
 * const { cred } = await acquireCred({ name: NO_NAME, lifetime: INDEFINITE, mechs: null, usage: CredUsage.INITIATE });
 * releaseCred(cred);
 * ```
 */
export type CredHandle = bigint & { readonly [brand]: 'gss_cred_id_t' };

/**
 * A `gss_ctx_id_t`.
 *
 * @example
 * ```ts
 * let context: ContextHandle = NO_CONTEXT; // the first init_sec_context call creates it
 * ```
 */
export type ContextHandle = bigint & { readonly [brand]: 'gss_ctx_id_t' };

/**
 * `GSS_C_NO_NAME`: no name, e.g. the default identity in `gss_acquire_cred`.
 *
 * @example
 * ```ts
 * await acquireCred({ name: NO_NAME, lifetime: INDEFINITE, mechs: null, usage: CredUsage.ACCEPT });
 * ```
 */
export const NO_NAME = 0n as NameHandle;

/**
 * `GSS_C_NO_CREDENTIAL`: the default credential.
 *
 * @example
 * ```ts
 * await initSecContext({ cred: NO_CREDENTIAL, context: NO_CONTEXT, target, mech: null, flags: 0, lifetime: 0, bindings: null, input: null });
 * ```
 */
export const NO_CREDENTIAL = 0n as CredHandle;

/**
 * `GSS_C_NO_CONTEXT`: before the first step of a context.
 *
 * @example
 * ```ts
 * const step = await acceptSecContext({ context: NO_CONTEXT, cred: NO_CREDENTIAL, input: token, bindings: null });
 * ```
 */
export const NO_CONTEXT = 0n as ContextHandle;

/**
 * The status pair every GSSAPI routine returns (RFC 2744 section 3.9).
 *
 * @example
 * ```ts
 * const status: Status = releaseName(name);
 * if (isError(status.major)) console.log(displayStatus(status.major, StatusType.GSS_CODE, null, 0).text);
 * ```
 */
export interface Status {
  readonly major: number;
  /** The mechanism's code, as the unsigned 32-bit value C returns. */
  readonly minor: number;
}
