/**
 * What differs between ky majors at run time, told from what ky hands over rather than from its
 * version number (ky is a peer: this library never loads it).
 *
 * @module
 */

/**
 * What a `beforeError` hook receives: the error itself (ky 1) or a state object whose `error`
 * is the error (ky 2, which also gives `request`, `options` and `retryCount`).
 */
export type KyErrorHookArgument = Error | { readonly error: Error };

/** The error of a `beforeError` call, under ky 1 or ky 2. */
export function kyHookError(arg: KyErrorHookArgument): Error {
  return arg instanceof Error ? arg : arg.error;
}
