/**
 * What is left of a response that could not be authenticated when mutual authentication is
 * REQUIRED (`sanitizeMutualErrorResponse`, as in the Python original): its status, and of its
 * headers only Date and Server, which say nothing the server could not say to anyone; no body,
 * since an attacker in the middle may have written it. One rule for every client; each adapter
 * builds its client's response from these headers.
 *
 * @param header - reads one response header (lower-case name); arrays are joined with `, `.
 * @returns the headers of the sanitized response, `content-length: 0` included.
 * @example
 * ```ts
 * const headers = sanitizedHeaders((name) => response.headers.get(name));
 * // { date: 'Mon, 30 Nov 2026 05:00:00 GMT', server: 'Apache', 'content-length': '0' }
 * ```
 */
export function sanitizedHeaders(
  header: (name: string) => string | readonly string[] | null | undefined,
): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of KEPT) {
    const value = header(name);
    if (value != null) kept[name] = typeof value === 'string' ? value : value.join(', ');
  }
  kept['content-length'] = '0';
  return kept;
}

const KEPT = ['date', 'server'] as const;
