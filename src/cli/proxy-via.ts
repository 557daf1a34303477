/**
 * The `Via` entry of `http-gssapi proxy` (RFC 9110 section 7.6.3): each running proxy names
 * itself with a random pseudonym, added to every request it forwards. A request that arrives
 * already carrying that pseudonym has been through this very proxy: a loop (an upstream or a
 * chain of proxies that leads back here), refused with 508 before it opens another connection,
 * where without the check each turn of the loop would open two more sockets until none are left.
 *
 * The pseudonym is random per process, so it says nothing about the host (RFC 9110 section
 * 7.6.3 allows a pseudonym for the received-by part for that reason) and two proxies in a chain
 * never share one.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';

/** One proxy's `Via` identity. */
export class ViaEntry {
  /** The pseudonym, `http-gssapi-` and 12 random hex digits. */
  readonly pseudonym = `http-gssapi-${randomBytes(6).toString('hex')}`;

  /**
   * The `Via` field value to forward: the received one (if any) with ours appended.
   *
   * @example
   * ```ts
   * const via = new ViaEntry();
   * via.append('1.1 squid'); // '1.1 squid, 1.1 http-gssapi-3f9a0c1b2d4e'
   * ```
   */
  append(received: string | string[] | undefined, version = '1.1'): string {
    const ours = `${version} ${this.pseudonym}`;
    const before = Array.isArray(received) ? received.join(', ') : (received ?? '');
    return before.trim() === '' ? ours : `${before}, ${ours}`;
  }

  /**
   * Whether a received `Via` value already names this proxy (the request went round a loop).
   *
   * @example
   * ```ts
   * via.seenIn(req.headers.via); // true: answer 508 Loop Detected
   * ```
   */
  seenIn(received: string | string[] | undefined): boolean {
    const text = Array.isArray(received) ? received.join(',') : (received ?? '');
    return text.split(',').some((entry) => entry.trim().split(/\s+/)[1] === this.pseudonym);
  }
}
