/**
 * An ASN.1 object identifier, held as its DER content bytes (the form `gss_OID_desc.elements`
 * carries, RFC 2744 section 3.6). Instances are immutable and compare by value.
 *
 * @example
 * ```ts
 * import { OID } from 'http-gssapi/gssapi';
 * const spnego = OID.fromIntSeq('1.3.6.1.5.5.2');
 * spnego.equals(OID.SPNEGO); // true
 * String(spnego);            // '1.3.6.1.5.5.2'
 * ```
 */
export class OID {
  readonly #der: Uint8Array;
  readonly #dotted: string;

  private constructor(der: Uint8Array, dotted: string) {
    this.#der = der;
    this.#dotted = dotted;
  }

  /**
   * From dotted decimal (`'1.2.840.113554.1.2.2'`) or a list of arcs.
   * @throws {TypeError} when the text is not a valid OID (X.690 section 8.19).
   */
  static fromIntSeq(arcs: string | readonly (number | bigint)[]): OID {
    const parts = typeof arcs === 'string' ? arcs.trim().split('.') : arcs.map(String);
    if (parts.length < 2 || parts.some((p) => !/^(0|[1-9]\d*)$/.test(p))) {
      throw new TypeError(
        `invalid OID ${JSON.stringify(String(arcs))}: expected dotted decimal like 1.3.6.1.5.5.2`,
      );
    }
    const values = parts.map((p) => BigInt(p));
    const [first, second] = values as [bigint, bigint];
    if (first > 2n || (first < 2n && second > 39n)) {
      throw new TypeError(`invalid OID ${parts.join('.')}: first arcs out of range (X.690 section 8.19.4)`);
    }
    const bytes: number[] = [];
    for (const arc of [first * 40n + second, ...values.slice(2)]) {
      const chunk: number[] = [Number(arc & 0x7fn)];
      for (let rest = arc >> 7n; rest > 0n; rest >>= 7n) chunk.unshift(Number((rest & 0x7fn) | 0x80n));
      bytes.push(...chunk);
    }
    return new OID(Uint8Array.from(bytes), parts.join('.'));
  }

  /**
   * From DER content bytes (without tag and length), as GSSAPI returns them.
   * @throws {TypeError} when the bytes are not a well-formed OID encoding.
   */
  static fromDer(der: Uint8Array): OID {
    const arcs: bigint[] = [];
    let value = 0n;
    let fresh = true;
    for (const byte of der) {
      if (fresh && byte === 0x80)
        throw new TypeError('invalid OID encoding: non-minimal arc (X.690 section 8.19.2)');
      value = (value << 7n) | BigInt(byte & 0x7f);
      fresh = (byte & 0x80) === 0;
      if (fresh) {
        arcs.push(value);
        value = 0n;
      }
    }
    if (!fresh || arcs.length === 0) throw new TypeError('invalid OID encoding: truncated');
    const head = arcs[0]!;
    const first = head < 80n ? head / 40n : 2n;
    const dotted = [first, head - first * 40n, ...arcs.slice(1)].join('.');
    return new OID(Uint8Array.from(der), dotted);
  }

  /** The DER content bytes (a copy). */
  get der(): Uint8Array {
    return this.#der.slice();
  }

  /** Internal: the bytes without copying, for the raw layer. */
  get bytes(): Uint8Array {
    return this.#der;
  }

  equals(other: OID | null | undefined): boolean {
    return other instanceof OID && other.#dotted === this.#dotted;
  }

  toString(): string {
    return this.#dotted;
  }

  toJSON(): string {
    return this.#dotted;
  }

  /** SPNEGO, the Negotiate pseudo-mechanism (RFC 4178): 1.3.6.1.5.5.2. */
  static readonly SPNEGO: OID = OID.fromIntSeq('1.3.6.1.5.5.2');
  /** Kerberos V5 (RFC 4121): 1.2.840.113554.1.2.2. */
  static readonly KRB5: OID = OID.fromIntSeq('1.2.840.113554.1.2.2');
  /** NTLM inside GSSAPI (Microsoft, gss-ntlmssp): 1.3.6.1.4.1.311.2.2.10. */
  static readonly NTLMSSP: OID = OID.fromIntSeq('1.3.6.1.4.1.311.2.2.10');
}

/** Friendly names for the OIDs this library meets, for messages and traces. */
export function describeOid(oid: OID | null | undefined): string {
  if (!oid) return 'default';
  const known: Record<string, string> = {
    '1.3.6.1.5.5.2': 'SPNEGO',
    '1.2.840.113554.1.2.2': 'Kerberos',
    '1.2.840.48018.1.2.2': 'Kerberos (Microsoft OID)',
    '1.3.6.1.4.1.311.2.2.10': 'NTLM',
    '1.3.6.1.4.1.311.2.2.30': 'NegoEx',
  };
  return known[String(oid)] ?? String(oid);
}
