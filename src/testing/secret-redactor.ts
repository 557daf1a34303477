/**
 * Redaction of the passwords a realm knows. Internal: not exported from `http-gssapi/testing`.
 *
 * @module
 */

/** How many leading characters of a secret stay readable: enough to tell two apart, not to guess one. */
const KEPT = 2;

/** Shortens `secret` to its first two characters and `…`. */
export function redactSecret(secret: string): string {
  return Array.from(secret).slice(0, KEPT).join('') + '…';
}

/**
 * Remembers every password that went through a realm and replaces each occurrence in a text
 * (tool output, log line, error message) with its redacted form. MIT's tools do not echo
 * passwords, so this is a second line of defence: a message built from a program's output must
 * not become the place where a password leaks if a future version (or a stray `-pw`) does.
 */
export class SecretRedactor {
  readonly #secrets = new Set<string>();

  add(secret: string): void {
    if (secret.length > 0) this.#secrets.add(secret);
  }

  redact(text: string): string {
    // Longest first, so that a secret containing another is replaced whole.
    const secrets = [...this.#secrets].sort((a, b) => b.length - a.length);
    let result = text;
    for (const secret of secrets) result = result.replaceAll(secret, redactSecret(secret));
    return result;
  }
}
