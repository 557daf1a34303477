/**
 * The SSPI provider (Windows secur32.dll, and Wine's) behind the same interface as the C GSSAPI
 * one (`provider-types.ts`): names are strings in SSPI's forms, credentials are
 * AcquireCredentialsHandleW handles (initiator only, no store: Windows keeps tickets in the
 * logon session), contexts are InitializeSecurityContextW contexts. See docs/windows.md.
 *
 * @module
 */
import { OwnedHandle } from '../handle.js';
import { NameType } from '../name-type.js';
import { OID } from '../oid.js';
import type {
  AcquireInput,
  ContextImpl,
  CredentialsImpl,
  InitiatorInput,
  NameImpl,
  Provider,
  ProviderCapabilities,
  StepOutcome,
} from '../provider-types.js';
import { CONTINUE_NEEDED, INDEFINITE, isError } from '../raw/constants.js';
import { GssapiLibraryError } from '../raw/library.js';
import type { ChannelBindingsInput } from '../raw/memory.js';
import { SspiInitiator } from './sspi-context.js';
import {
  acquireSspiCredentials,
  refuseStore,
  releaseSspiCredentials,
  type SspiCredentialRecord,
} from './sspi-credentials.js';
import { SSPIError } from './sspi-error.js';
import { checkSspiName, type SspiNameValue, sspiTargetName } from './sspi-names.js';
import { sspiPackageFor } from './sspi-packages.js';

const unsupported = (message: string, hint?: string) =>
  new GssapiLibraryError('ERR_GSSAPI_UNSUPPORTED', message, hint);

/** A name as SSPI takes it: the text and its type, checked at construction (see `sspi-names.ts`). */
class SspiName implements NameImpl {
  readonly value: SspiNameValue;

  constructor(value: SspiNameValue) {
    checkSspiName(value);
    this.value = value;
  }

  display(): string {
    return this.value.text;
  }

  type(): OID | null {
    return this.value.type;
  }

  canonicalize(): Promise<NameImpl> {
    return Promise.reject(namesUnsupported('canonicalize()'));
  }

  /**
   * Without a mechanism to ask, SSPI names are equal when written alike (case-insensitive, as
   * Windows compares account and host names) and of the same type.
   */
  equals(other: NameImpl): boolean {
    if (!(other instanceof SspiName)) return false;
    const [mine, theirs] = [this.value, other.value];
    return (
      mine.text.toLowerCase() === theirs.text.toLowerCase() &&
      (mine.type === theirs.type || (!!mine.type && !!theirs.type && mine.type.equals(theirs.type)))
    );
  }

  exportName(): Uint8Array {
    throw namesUnsupported('export()');
  }

  dispose(): void {}
}

function namesUnsupported(what: string): GssapiLibraryError {
  return unsupported(`the SSPI provider has no ${what} for names: SSPI takes names as strings`);
}

/** An outbound credential handle and what the acquisition said of it. */
class SspiCredentials implements CredentialsImpl {
  readonly #handle: OwnedHandle;
  readonly #record: SspiCredentialRecord;
  readonly name: SspiName | null;
  readonly usage = 'initiate' as const;

  constructor(record: SspiCredentialRecord, principal: string | null) {
    this.#handle = new OwnedHandle(this, record.handle as bigint, releaseSspiCredentials);
    this.#record = record;
    this.name = principal === null ? null : new SspiName({ text: principal, type: NameType.krb5Principal });
  }

  /** The record for the context, while the handle is alive. */
  get record(): SspiCredentialRecord {
    if (this.#handle.released) throw new TypeError('these Credentials have been disposed');
    return this.#record;
  }

  get released(): boolean {
    return this.#handle.released;
  }

  get lifetime(): number | null {
    return this.#record.lifetime;
  }

  get mechs(): readonly OID[] {
    return this.#record.mechs;
  }

  /** The package list it was acquired with (null under Wine, which ignores package lists). */
  get negotiableMechs(): readonly OID[] | null {
    return this.#record.negotiableMechs;
  }

  /** Name, lifetime and mechanisms are known from the acquisition (Wine answers no QueryCredentialsAttributesW). */
  async inquire(): Promise<void> {}

  store(options: Parameters<CredentialsImpl['store']>[0]): Promise<void> {
    refuseStore(options.store);
    return Promise.reject(
      unsupported('the SSPI provider cannot store credentials: Windows keeps them in the logon session'),
    );
  }

  /** Negotiate takes its package list at acquisition only: the same limit again is no change. */
  setNegotiableMechs(mechs: readonly OID[]): void {
    const limit = this.#record.negotiableMechs;
    if (limit && limit.length === mechs.length && limit.every((m) => mechs.some((n) => n.equals(m)))) return;
    throw unsupported(
      'the SSPI provider cannot limit an acquired credential handle: Negotiate takes its package list at acquisition',
      'pass negotiableMechs to Credentials.acquire or Credentials.withPassword (or choose the Kerberos package with mechs: [OID.KRB5])',
    );
  }

  dispose(): void {
    this.#handle.dispose();
  }
}

async function acquire(
  input: Omit<AcquireInput, 'store'>,
  password: string | null,
): Promise<SspiCredentials> {
  if (input.usage !== 'initiate') {
    throw unsupported(
      "the SSPI provider makes initiator credentials only (usage 'initiate'): AcceptSecurityContext is not wrapped",
    );
  }
  const principal = input.name === null ? null : input.name.display();
  const record = await acquireSspiCredentials({
    principal,
    password,
    mechs: input.mechs,
    negotiableMechs: input.negotiableMechs,
  });
  return new SspiCredentials(record, principal);
}

const FAILED = 'InitializeSecurityContextW';

/** An InitializeSecurityContextW context (see `sspi-context.ts`). */
class SspiContext implements ContextImpl {
  readonly #initiator: SspiInitiator;
  readonly #target: SspiName;

  constructor(input: InitiatorInput) {
    if (!(input.target instanceof SspiName))
      throw new TypeError('the target Name was made under another provider');
    this.#target = input.target;
    this.#initiator = new SspiInitiator({
      target: sspiTargetName(input.target.value),
      packageName: sspiPackageFor(input.mech),
      flags: input.flags,
      creds: (input.creds as SspiCredentials | null)?.record ?? null,
      bindings: input.bindings,
      negotiableMechs: input.negotiableMechs,
    });
  }

  async step(token: Uint8Array | null, mech: OID | null): Promise<StepOutcome> {
    const r = await this.#initiator.step(token);
    if (isError(r.major)) {
      this.#initiator.dispose();
      throw r.error ?? new SSPIError(FAILED, r.minor, { mech, context: `target ${this.#target.display()}` });
    }
    return {
      output: r.output,
      mech: r.mech ? OID.fromDer(r.mech) : null,
      flags: r.flags,
      lifetime: r.lifetime === INDEFINITE ? null : r.lifetime,
      complete: (r.major & CONTINUE_NEEDED) === 0,
    };
  }

  /** SSPI names the client (SECPKG_ATTR_NAMES; not under Wine). */
  initiatorName(): NameImpl | null {
    const text = this.#initiator.initiatorName();
    return text === null ? null : new SspiName({ text, type: null });
  }

  /** The target is the one asked for. */
  targetName(): NameImpl | null {
    return new SspiName(this.#target.value);
  }

  dispose(): void {
    this.#initiator.dispose();
  }
}

/**
 * Wine's Kerberos package logs a password in inside AcquireCredentialsHandleW and reports any
 * krb5 error there as STATUS_UNSUCCESSFUL: a wrong password cannot be told from an unreachable
 * KDC. (Windows logs in at the first step and says SEC_E_LOGON_DENIED, which the error maps to
 * `KRB5KDC_ERR_PREAUTH_FAILED`.)
 */
function unexplainedLoginFailure(error: unknown): string | null {
  return error instanceof SSPIError &&
    error.code === 'STATUS_UNSUCCESSFUL' &&
    error.operation === 'AcquireCredentialsHandleW'
    ? "Wine's Kerberos package, which does not say why"
    : null;
}

const CAPABILITIES: ProviderCapabilities = Object.freeze({
  limitMechsAfterAcquisition: false,
  // SSPI's Negotiate takes its package list in AcquireCredentialsHandleW only.
  limitMechsAtAcquisition: true,
  // SSPI only records the identity and logs in when a context first needs a ticket (Wine: in
  // the acquisition), once whatever the packages.
  loginPerMechanism: false,
  ccacheAndKeytab: false,
  refusalAtFirstStep: true,
});

/**
 * The SSPI provider.
 *
 * @example
 * ```ts
 * const name = sspiProvider.importName('HTTP@web.example.org', NameType.hostbasedService);
 * ```
 */
export const sspiProvider: Provider = {
  kind: 'sspi',
  capabilities: CAPABILITIES,
  importName(value, type) {
    const text = typeof value === 'string' ? value : new TextDecoder().decode(value);
    return new SspiName({ text, type });
  },
  acquire(input) {
    if (input.store !== null) refuseStore(input.store);
    return acquire(input, null);
  },
  withPassword(input) {
    const { password } = input;
    return acquire(input, typeof password === 'string' ? password : new TextDecoder().decode(password));
  },
  initiator: (input) => new SspiContext(input),
  acceptor(_input: {
    readonly creds: CredentialsImpl | null;
    readonly bindings: ChannelBindingsInput | null;
  }) {
    throw unsupported(
      'the SSPI provider makes initiator contexts only: AcceptSecurityContext is not wrapped',
    );
  },
  unexplainedLoginFailure,
  checkCredentialSources(sources) {
    if (sources.keytab !== undefined) refuseStore({ client_keytab: sources.keytab }, 'creds.keytab');
    if (sources.ccache !== undefined) refuseStore({ ccache: sources.ccache }, 'creds.ccache');
  },
};
