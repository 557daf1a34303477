/**
 * Names of the C GSSAPI provider (MIT, Heimdal): a `gss_name_t` owned by the object
 * (RFC 2743 section 2.4, RFC 2744 section 3.10).
 *
 * @module
 */
import { GSSError } from '../gss-error.js';
import { OwnedHandle, whileHeld } from '../handle.js';
import { OID } from '../oid.js';
import type { NameImpl } from '../provider-types.js';
import * as raw from '../raw/index.js';

const release = raw.releaseName as (handle: bigint) => raw.Status;

/**
 * A `gss_name_t`, released by {@link dispose} or when the object is collected.
 *
 * @example
 * ```ts
 * const name = GssName.import('HTTP@web.example.org', NameType.hostbasedService);
 * name.display(); // 'HTTP@web.example.org'
 * ```
 */
export class GssName implements NameImpl {
  readonly #handle: OwnedHandle;

  private constructor(handle: raw.NameHandle) {
    this.#handle = new OwnedHandle(this, handle, release);
  }

  /** `gss_import_name`. @throws {GSSError} `GSS_S_BAD_NAME` / `GSS_S_BAD_NAMETYPE`. */
  static import(value: string | Uint8Array, type: OID | null): GssName {
    const r = raw.importName(value, type?.bytes ?? null);
    if (raw.isError(r.major)) throw new GSSError('gss_import_name', r);
    return new GssName(r.name);
  }

  /** Adopts a name handle the library returned. */
  static adopt(handle: raw.NameHandle): GssName {
    return new GssName(handle);
  }

  /** The handle, for the raw layer. */
  get handle(): raw.NameHandle {
    if (this.#handle.released) throw new TypeError('this Name has been disposed');
    return this.#handle.value as raw.NameHandle;
  }

  display(): string {
    const r = raw.displayName(this.handle);
    if (raw.isError(r.major)) throw new GSSError('gss_display_name', r);
    return r.text;
  }

  type(): OID | null {
    const r = raw.displayName(this.handle);
    if (raw.isError(r.major)) throw new GSSError('gss_display_name', r);
    return r.nameType ? OID.fromDer(r.nameType) : null;
  }

  /** `gss_canonicalize_name`, off the event loop: the krb5 mechanism may ask DNS. */
  async canonicalize(mech: OID): Promise<GssName> {
    const r = await whileHeld([this], () => raw.canonicalizeName(this.handle, mech.bytes));
    if (raw.isError(r.major)) throw new GSSError('gss_canonicalize_name', r, { mech });
    return new GssName(r.name);
  }

  equals(other: NameImpl): boolean {
    if (!(other instanceof GssName)) return false;
    const r = raw.compareName(this.handle, other.handle);
    if (raw.isError(r.major)) throw new GSSError('gss_compare_name', r);
    return r.equal;
  }

  /** `gss_export_name` (RFC 2743 section 3.2). */
  exportName(): Uint8Array {
    const r = raw.exportName(this.handle);
    if (raw.isError(r.major)) throw new GSSError('gss_export_name', r);
    return r.exported ?? new Uint8Array(0);
  }

  dispose(): void {
    this.#handle.dispose();
  }
}
