import { OID } from './oid.js';
import { activeProvider } from './provider.js';
import type { NameImpl } from './provider-types.js';
import type * as raw from './raw/index.js';
import { GssapiLibraryError } from './raw/library.js';

/** Set only while {@link Name.fromImpl} runs the constructor. */
let adopting: NameImpl | undefined;

/**
 * A GSSAPI name: a service (`HTTP@web.example.org` with {@link NameType.hostbasedService}),
 * a principal (`alice@EXAMPLE.ORG`), or a mechanism name returned by the library. What it is
 * underneath (a `gss_name_t`, or under SSPI the text in SSPI's form) is the provider's.
 *
 * @example
 * ```ts
 * import { Name, NameType, OID } from 'http-gssapi/gssapi';
 * const target = new Name('HTTP@web.example.org', NameType.hostbasedService);
 * const mn = await target.canonicalize(OID.KRB5);
 * console.log(String(mn)); // HTTP/web.example.org@EXAMPLE.ORG (realm from krb5.conf)
 * target.dispose(); mn.dispose();
 * ```
 */
export class Name implements Disposable {
  readonly #impl: NameImpl;

  /**
   * Imports a name (`gss_import_name`). `type` null lets the mechanism parse it in its default
   * syntax (for Kerberos, a principal name).
   * @throws {GSSError} `GSS_S_BAD_NAME` / `GSS_S_BAD_NAMETYPE` when the name does not parse.
   */
  constructor(value: string | Uint8Array, type: OID | null = null) {
    if (adopting !== undefined) {
      this.#impl = adopting;
      return;
    }
    if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
      throw new TypeError('name must be a string or a Uint8Array');
    }
    if (type !== null && !(type instanceof OID)) throw new TypeError('type must be an OID or null');
    this.#impl = activeProvider().importName(value, type);
  }

  /**
   * Internal: wraps a provider's name (one a call returned), which this object then owns.
   *
   * @example
   * ```ts
   * const name = Name.fromImpl(impl);
   * ```
   */
  static fromImpl(impl: NameImpl): Name {
    adopting = impl;
    try {
      return new Name('', null);
    } finally {
      adopting = undefined;
    }
  }

  /** Internal: the provider's name, for the other classes of this layer. */
  get impl(): NameImpl {
    return this.#impl;
  }

  /** Internal: the `gss_name_t`, for the raw layer (C GSSAPI provider only). */
  get handle(): raw.NameHandle {
    const { handle } = this.#impl as Partial<{ readonly handle: raw.NameHandle }>;
    if (handle === undefined) throw noHandle();
    return handle;
  }

  /** The printable form (`gss_display_name`; under SSPI, the name as it was given). */
  toString(): string {
    return this.#impl.display();
  }

  toJSON(): string {
    return this.toString();
  }

  /** The name type this name carries (null for none). */
  get type(): OID | null {
    return this.#impl.type();
  }

  /**
   * The mechanism name for `mech` (`gss_canonicalize_name`), e.g. `HTTP/host@REALM` for
   * `HTTP@host` under Kerberos. Runs off the event loop: the krb5 mechanism may ask DNS.
   */
  async canonicalize(mech: OID): Promise<Name> {
    return Name.fromImpl(await this.#impl.canonicalize(mech));
  }

  /** Whether both denote the same entity (`gss_compare_name`). */
  equals(other: Name): boolean {
    return this.#impl.equals(other.impl);
  }

  /** The exported form of a mechanism name (`gss_export_name`, RFC 2743 section 3.2). */
  export(): Uint8Array {
    return this.#impl.exportName();
  }

  /** Releases the name now. Safe to call twice. */
  dispose(): void {
    this.#impl.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

function noHandle(): GssapiLibraryError {
  return new GssapiLibraryError(
    'ERR_GSSAPI_UNSUPPORTED',
    'this provider has no GSSAPI name handle: its names are not gss_name_t',
  );
}
