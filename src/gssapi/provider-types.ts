/**
 * The one interface every provider implements (pyspnego's `ContextProxy` is the model): names,
 * credentials and contexts of the C GSSAPI (`gss/`, MIT or Heimdal) or of Windows SSPI
 * (`sspi/`). The typed classes `Name`, `Credentials` and `SecurityContext` hold one of these and
 * delegate to it; they never ask which provider it is. Type-only.
 *
 * @module
 */
import type { OID } from './oid.js';
import type { ChannelBindingsInput } from './raw/memory.js';

/**
 * A provider: `'gssapi'` (MIT, Heimdal, or the library HTTP_GSSAPI_LIBRARY names) or `'sspi'`
 * (Windows secur32.dll), as `provider.ts` chooses it once per process.
 *
 * @example
 * ```ts
 * const kind: GssapiProviderKind = process.platform === 'win32' ? 'sspi' : 'gssapi';
 * ```
 */
export type GssapiProviderKind = 'gssapi' | 'sspi';

/**
 * What a provider can do, asked by name by the callers that must adapt (the client's credential
 * source and mechanism policy) without knowing which provider they have.
 *
 * @example
 * ```ts
 * import { providerCapabilities } from 'http-gssapi/gssapi';
 * if (providerCapabilities().limitMechsAfterAcquisition) creds.setNegotiableMechs([OID.KRB5]);
 * ```
 */
export interface ProviderCapabilities {
  /**
   * An acquired credential handle can be limited to some mechanisms for SPNEGO
   * (`gss_set_neg_mechs`, RFC 4178 section 3): MIT. Without it the limit is taken at acquisition
   * ({@link limitMechsAtAcquisition}) and the NTLM token check is the guard for credentials
   * acquired without it.
   */
  readonly limitMechsAfterAcquisition: boolean;
  /**
   * The limit is taken when credentials are acquired (`negotiableMechs` of
   * `Credentials.acquire`): SSPI's Negotiate package list, or, for a GSSAPI library without
   * `gss_set_neg_mechs` (Heimdal 7), the desired mechanisms, which Heimdal's SPNEGO offers and
   * nothing else (measured with 7.8: with an NTLM user file, the default credentials get an NTLM
   * element, credentials acquired for SPNEGO and Kerberos do not).
   */
  readonly limitMechsAtAcquisition: boolean;
  /**
   * A password login is done once per mechanism asked for (MIT's
   * gss_acquire_cred_with_password): the client logs in for Kerberos alone, into a memory
   * ccache. Else the provider logs in once whatever the mechanisms.
   */
  readonly loginPerMechanism: boolean;
  /**
   * Credentials come from a ccache (which can be read again into a second handle) and can be
   * got from a client keytab. SSPI has neither: Windows keeps tickets in the logon session.
   */
  readonly ccacheAndKeytab: boolean;
  /**
   * A refused password login shows at the first context step (Windows logs in inside the first
   * InitializeSecurityContextW), not only at the acquisition.
   */
  readonly refusalAtFirstStep: boolean;
}

/** A provider's name, which a `Name` delegates to. */
export interface NameImpl {
  /** The printable form. */
  display(): string;
  /** The name type it carries (null for none). */
  type(): OID | null;
  canonicalize(mech: OID): Promise<NameImpl>;
  /** Whether both denote the same entity; `other` comes from the same provider. */
  equals(other: NameImpl): boolean;
  exportName(): Uint8Array;
  dispose(): void;
}

/** Checked credential options, as `Credentials` hands them to a provider. */
export interface AcquireInput {
  readonly name: NameImpl | null;
  readonly usage: 'initiate' | 'accept' | 'both';
  /** Null: the provider's default for the usage. */
  readonly mechs: readonly OID[] | null;
  /** Seconds; null for as long as possible. */
  readonly lifetime: number | null;
  readonly store: Readonly<Record<string, string>> | null;
  readonly negotiableMechs: readonly OID[] | null;
}

/** A provider's credentials, which a `Credentials` delegates to. */
export interface CredentialsImpl {
  readonly name: NameImpl | null;
  /** Seconds left as of the last inquiry; null when unknown or unlimited. */
  readonly lifetime: number | null;
  readonly usage: 'initiate' | 'accept' | 'both';
  readonly mechs: readonly OID[];
  /** The limit SPNEGO is held to with this handle (see `setNegotiableMechs`), or null. */
  readonly negotiableMechs: readonly OID[] | null;
  /** Whether it has been released. */
  readonly released: boolean;
  inquire(): Promise<void>;
  store(options: {
    readonly store: Readonly<Record<string, string>>;
    readonly mech: OID | null;
    readonly overwrite: boolean;
    readonly default: boolean;
  }): Promise<void>;
  setNegotiableMechs(mechs: readonly OID[]): void;
  dispose(): void;
}

/** What one step of a context produced. */
export interface StepOutcome {
  readonly output: Uint8Array | null;
  /** The mechanism now known to be in use, or null when the step did not say. */
  readonly mech: OID | null;
  readonly flags: number;
  /** Seconds; null when unknown or unlimited. */
  readonly lifetime: number | null;
  readonly complete: boolean;
  /** Acceptor: credentials the initiator delegated (owned by the caller from now on). */
  readonly delegated?: CredentialsImpl | null;
  /** Acceptor: who authenticated, once complete (owned by the caller from now on). */
  readonly initiatorName?: NameImpl | null;
}

/** Checked initiator options, as `SecurityContext` hands them to a provider. */
export interface InitiatorInput {
  readonly target: NameImpl;
  readonly creds: CredentialsImpl | null;
  readonly mech: OID | null;
  readonly flags: number;
  /** Seconds; 0 for the default. */
  readonly lifetime: number;
  readonly bindings: ChannelBindingsInput | null;
  readonly negotiableMechs: readonly OID[] | null;
}

/** A provider's security context, which a `SecurityContext` delegates to. */
export interface ContextImpl {
  /**
   * One step; throws the provider's error (a `GSSError`) at once when the mechanism fails, with
   * its error token. A step's result is handed back even when `dispose()` ran meanwhile, so the
   * caller can release it.
   */
  step(token: Uint8Array | null, mech: OID | null): Promise<StepOutcome>;
  /** Who initiated (on an acceptor: who authenticated), once complete. */
  initiatorName(): NameImpl | null;
  /** The acceptor's name, once complete. */
  targetName(): NameImpl | null;
  dispose(): void;
}

/** One provider: everything that differs between MIT/Heimdal and SSPI is behind this. */
export interface Provider {
  readonly kind: GssapiProviderKind;
  readonly capabilities: ProviderCapabilities;
  importName(value: string | Uint8Array, type: OID | null): NameImpl;
  acquire(input: AcquireInput): Promise<CredentialsImpl>;
  withPassword(
    input: Omit<AcquireInput, 'store' | 'name'> & {
      readonly name: NameImpl;
      readonly password: string | Uint8Array;
    },
  ): Promise<CredentialsImpl>;
  initiator(input: InitiatorInput): ContextImpl;
  acceptor(input: {
    readonly creds: CredentialsImpl | null;
    readonly bindings: ChannelBindingsInput | null;
  }): ContextImpl;
  /**
   * A failure of a password login that the provider reports without saying why (Wine's
   * Kerberos package: STATUS_UNSUCCESSFUL from AcquireCredentialsHandleW for a wrong password
   * and an unreachable KDC alike), with the words to say so; else null.
   */
  unexplainedLoginFailure(error: unknown): string | null;
  /** Throws when the provider cannot use a credential source a client names (SSPI: no keytab, no ccache). */
  checkCredentialSources(sources: { readonly ccache?: string; readonly keytab?: string }): void;
}
