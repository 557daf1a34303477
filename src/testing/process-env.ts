/**
 * Setting variables on `process.env` for a while. Internal: not exported from
 * `http-gssapi/testing`.
 *
 * @module
 */

/**
 * Sets each variable of `values` on `process.env` (`undefined` unsets it) and returns a function
 * that puts back what was there before. The returned function works once: a second call would
 * undo whatever was set in between, e.g. by another realm.
 *
 * @example
 * ```ts
 * const restore = overrideProcessEnv({ KRB5_CONFIG: '/tmp/realm/krb5.conf', KRB5_TRACE: undefined });
 * try {
 *   // ...
 * } finally {
 *   restore();
 * }
 * ```
 */
export function overrideProcessEnv(values: Readonly<Record<string, string | undefined>>): () => void {
  const previous = new Map<string, string | undefined>();
  for (const [name, value] of Object.entries(values)) {
    previous.set(name, process.env[name]);
    setVariable(name, value);
  }
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    for (const [name, value] of previous) setVariable(name, value);
  };
}

function setVariable(name: string, value: string | undefined): void {
  // Assigning undefined would store the string "undefined": process.env coerces every value.
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
