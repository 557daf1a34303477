import { GSSError } from './gss-error.js';
import { OwnedHandle, whileHeld } from './handle.js';
import { OID } from './oid.js';
import { gssapiProvider } from './provider.js';
import * as raw from './raw/index.js';
import { GssapiLibraryError } from './raw/library.js';
import { checkSspiName, type SspiNameValue } from './sspi/sspi-names.js';

/** Set only while {@link Name.fromHandle} runs the constructor. */
let adopting: raw.NameHandle | undefined;
const release = raw.releaseName as (handle: bigint) => raw.Status;

/**
 * A GSSAPI name: a service (`HTTP@web.example.org` with {@link NameType.hostbasedService}),
 * a principal (`alice@EXAMPLE.ORG`), or a mechanism name returned by the library.
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
  readonly #handle: OwnedHandle;
  /** The SSPI provider's form: SSPI has no name objects, only strings (see `sspi/sspi-names.ts`). */
  #sspi: SspiNameValue | null = null;

  /**
   * Imports a name (`gss_import_name`). `type` null lets the mechanism parse it in its default
   * syntax (for Kerberos, a principal name).
   * @throws {GSSError} `GSS_S_BAD_NAME` / `GSS_S_BAD_NAMETYPE` when the name does not parse.
   */
  constructor(value: string | Uint8Array, type: OID | null = null) {
    if (adopting !== undefined) {
      this.#handle = new OwnedHandle(this, adopting, release);
      return;
    }
    if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
      throw new TypeError('name must be a string or a Uint8Array');
    }
    if (type !== null && !(type instanceof OID)) throw new TypeError('type must be an OID or null');
    if (gssapiProvider() === 'sspi') {
      const text = typeof value === 'string' ? value : new TextDecoder().decode(value);
      checkSspiName({ text, type });
      this.#sspi = { text, type };
      this.#handle = new OwnedHandle(this, 0n, release);
      return;
    }
    const r = raw.importName(value, type?.bytes ?? null);
    if (raw.isError(r.major)) throw new GSSError('gss_import_name', r);
    this.#handle = new OwnedHandle(this, r.name, release);
  }

  /** Internal: adopts a handle the library returned, which this object then owns. */
  static fromHandle(handle: raw.NameHandle): Name {
    adopting = handle;
    try {
      return new Name('', null);
    } finally {
      adopting = undefined;
    }
  }

  /** Internal: the handle, for the raw layer. */
  get handle(): raw.NameHandle {
    if (this.#sspi) throw sspiUnsupported('a GSSAPI name handle');
    if (this.#handle.released) throw new TypeError('this Name has been disposed');
    return this.#handle.value as raw.NameHandle;
  }

  /** Internal: the text and type, for the SSPI provider; null under the GSSAPI provider. */
  get sspiValue(): SspiNameValue | null {
    return this.#sspi;
  }

  /** The printable form (`gss_display_name`; under SSPI, the name as it was given). */
  toString(): string {
    if (this.#sspi) return this.#sspi.text;
    const r = raw.displayName(this.handle);
    if (raw.isError(r.major)) throw new GSSError('gss_display_name', r);
    return r.text;
  }

  toJSON(): string {
    return this.toString();
  }

  /** The name type this name carries (null for none). */
  get type(): OID | null {
    if (this.#sspi) return this.#sspi.type;
    const r = raw.displayName(this.handle);
    if (raw.isError(r.major)) throw new GSSError('gss_display_name', r);
    return r.nameType ? OID.fromDer(r.nameType) : null;
  }

  /**
   * The mechanism name for `mech` (`gss_canonicalize_name`), e.g. `HTTP/host@REALM` for
   * `HTTP@host` under Kerberos. Runs off the event loop: the krb5 mechanism may ask DNS.
   */
  async canonicalize(mech: OID): Promise<Name> {
    if (this.#sspi) throw sspiUnsupported('canonicalize()');
    const r = await whileHeld([this], () => raw.canonicalizeName(this.handle, mech.bytes));
    if (raw.isError(r.major)) throw new GSSError('gss_canonicalize_name', r, { mech });
    return Name.fromHandle(r.name);
  }

  /** Whether both denote the same entity (`gss_compare_name`). */
  equals(other: Name): boolean {
    const mine = this.#sspi;
    const theirs = other.sspiValue;
    if (mine || theirs) {
      // Without a mechanism to ask, SSPI names are equal when written alike (case-insensitive, as
      // Windows compares account and host names) and of the same type.
      return (
        !!mine &&
        !!theirs &&
        mine.text.toLowerCase() === theirs.text.toLowerCase() &&
        (mine.type === theirs.type || (!!mine.type && !!theirs.type && mine.type.equals(theirs.type)))
      );
    }
    const r = raw.compareName(this.handle, other.handle);
    if (raw.isError(r.major)) throw new GSSError('gss_compare_name', r);
    return r.equal;
  }

  /** The exported form of a mechanism name (`gss_export_name`, RFC 2743 section 3.2). */
  export(): Uint8Array {
    if (this.#sspi) throw sspiUnsupported('export()');
    const r = raw.exportName(this.handle);
    if (raw.isError(r.major)) throw new GSSError('gss_export_name', r);
    return r.exported ?? new Uint8Array(0);
  }

  /** Releases the name now. Safe to call twice. */
  dispose(): void {
    this.#handle.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

function sspiUnsupported(what: string): GssapiLibraryError {
  return new GssapiLibraryError(
    'ERR_GSSAPI_UNSUPPORTED',
    `the SSPI provider has no ${what} for names: SSPI takes names as strings`,
  );
}
