/**
 * One SSPI initiator context (InitializeSecurityContextW), stepped by the typed
 * `SecurityContext` when the SSPI provider is in use. Each step returns the same record as
 * gss_init_sec_context's raw wrapper (major status, token, flags, lifetime, mechanism), with
 * the SSPIError already made when the call failed, so that `SecurityContext` settles both
 * providers the same way.
 *
 * @module
 */
import { OwnedHandle } from '../handle.js';
import type { OID } from '../oid.js';
import { CONTINUE_NEEDED, INDEFINITE, ROUTINE_ERROR_OFFSET } from '../raw/constants.js';
import type { ChannelBindingsInput } from '../raw/memory.js';
import { encodeSecChannelBindings } from './raw/channel-bindings.js';
import {
  CredentialUse,
  isSecError,
  SECURITY_NATIVE_DREP,
  SecBufferType,
  SecStatus,
} from './raw/constants.js';
import {
  completeAuthToken,
  deleteSecurityContext,
  initializeSecurityContext,
  queryContextAttributes,
} from './raw/contexts.js';
import { acquireCredentialsHandle } from './raw/credentials.js';
import type { SspiHandle } from './raw/handles.js';
import type { SecBufferInput } from './raw/memory.js';
import { querySecurityPackageInfo } from './raw/packages.js';
import {
  negotiatePackageList,
  releaseSspiCredentials,
  type SspiCredentialRecord,
  secondsUntil,
  sspiAuthIdentity,
} from './sspi-credentials.js';
import { SSPIError } from './sspi-error.js';
import { contextFlagsOf, iscRequestFlags } from './sspi-flags.js';
import { mechOfPackage, type SspiPackage } from './sspi-packages.js';

/** Options of {@link SspiInitiator}. */
export interface SspiInitiatorOptions {
  /** `pszTargetName`, already in SSPI form (`HTTP/host`). */
  readonly target: string;
  readonly packageName: SspiPackage;
  /** GSSAPI request flags. */
  readonly flags: number;
  /** The caller's credentials; null for the logged-on user. */
  readonly creds: SspiCredentialRecord | null;
  readonly bindings: ChannelBindingsInput | null;
  /**
   * For the handle this context acquires itself (no `creds`, or the logged-on user's for another
   * package): what Negotiate may negotiate with it; null or absent for no limit.
   */
  readonly negotiableMechs?: readonly OID[] | null;
}

/** What one step produced, in the shape `SecurityContext` settles. */
export interface SspiStepRecord {
  readonly major: number;
  readonly minor: number;
  readonly context: bigint;
  readonly mech: Uint8Array | null;
  readonly output: Uint8Array | null;
  readonly flags: number;
  readonly lifetime: number;
  readonly error?: SSPIError;
}

const FAILURE = (13 << ROUTINE_ERROR_OFFSET) >>> 0;

const maxTokens = new Map<SspiPackage, number>();

/**
 * The output buffer size for a package: its cbMaxToken (48256 for Negotiate on Windows 10,
 * 12000 on Wine 8), asked once per package.
 */
function maxTokenOf(packageName: SspiPackage): number {
  let size = maxTokens.get(packageName);
  if (size === undefined) {
    const info = querySecurityPackageInfo(packageName);
    if (isSecError(info.status) || info.maxToken === 0)
      throw new SSPIError('QuerySecurityPackageInfoW', info.status);
    size = info.maxToken;
    maxTokens.set(packageName, size);
  }
  return size;
}

const releaseContext = (handle: bigint) => ({ major: 0, minor: deleteSecurityContext(handle as SspiHandle) });

/**
 * An initiator context of the SSPI provider.
 *
 * @example
 * ```ts
 * const ctx = new SspiInitiator({ target: 'HTTP/web.example.org', packageName: 'Negotiate', flags: ContextFlag.MUTUAL, creds: null, bindings: null });
 * const first = await ctx.step(null); // first.output: the token to send
 * ctx.dispose();
 * ```
 */
export class SspiInitiator {
  readonly #options: SspiInitiatorOptions;
  readonly #req: number;
  readonly #context: OwnedHandle;
  #ownCredential: OwnedHandle | null = null;

  constructor(options: SspiInitiatorOptions) {
    this.#options = options;
    this.#req = iscRequestFlags(options.flags);
    this.#context = new OwnedHandle(this, 0n, releaseContext);
  }

  /** The credential handle to use: the caller's when it serves this package, else the logged-on user's. */
  async #credential(): Promise<SspiHandle | SSPIError> {
    const { creds, packageName } = this.#options;
    // Explicit credentials serve their own package only (SecurityContext checks their mechs); the
    // logged-on user's serve any package, through a handle this context acquires for its own.
    if (creds && (creds.packageName === packageName || !creds.currentUser)) return creds.handle;
    if (this.#ownCredential) return this.#ownCredential.value as SspiHandle;
    const r = await acquireCredentialsHandle({
      principal: null,
      packageName,
      use: CredentialUse.OUTBOUND,
      identity: sspiAuthIdentity(
        null,
        null,
        negotiatePackageList(packageName, this.#options.negotiableMechs),
      ),
    });
    if (isSecError(r.status)) {
      return new SSPIError('AcquireCredentialsHandleW', r.status, {
        context: `${packageName} for the logged-on user`,
      });
    }
    this.#ownCredential = new OwnedHandle(this, r.handle, releaseSspiCredentials);
    return r.handle;
  }

  /** One InitializeSecurityContextW call with the peer's token (none on the first step). */
  async step(token: Uint8Array | null): Promise<SspiStepRecord> {
    const credential = await this.#credential();
    if (credential instanceof SSPIError) return this.#failed(credential);
    // The first step on a password handle logs on: one at a time, a refusal once (LogonGate).
    const gate =
      this.#context.value === 0n && credential === this.#options.creds?.handle
        ? this.#options.creds.logonGate
        : null;
    if (!gate) return this.#initialize(credential, token);
    return gate.run(
      () => this.#initialize(credential, token),
      (r) => r.minor === SecStatus.SEC_E_LOGON_DENIED && r.error !== undefined,
      (r) => r.error === undefined,
    );
  }

  /** InitializeSecurityContextW (and CompleteAuthToken when asked for) on `credential`. */
  async #initialize(credential: SspiHandle, token: Uint8Array | null): Promise<SspiStepRecord> {
    const input: SecBufferInput[] = [];
    if (token) input.push({ type: SecBufferType.TOKEN, data: token });
    if (this.#options.bindings) {
      input.push({
        type: SecBufferType.CHANNEL_BINDINGS,
        data: encodeSecChannelBindings(this.#options.bindings),
      });
    }
    const r = await initializeSecurityContext({
      credential,
      context: this.#context.value as SspiHandle,
      target: this.#options.target,
      req: this.#req,
      dataRep: SECURITY_NATIVE_DREP,
      input,
      maxToken: maxTokenOf(this.#options.packageName),
    });
    this.#context.replace(this, r.context);
    let status = r.status;
    if (
      (status === SecStatus.SEC_I_COMPLETE_NEEDED || status === SecStatus.SEC_I_COMPLETE_AND_CONTINUE) &&
      r.output
    ) {
      const completed = await completeAuthToken(r.context, r.output);
      status = isSecError(completed)
        ? completed
        : status === SecStatus.SEC_I_COMPLETE_NEEDED
          ? SecStatus.SEC_E_OK
          : SecStatus.SEC_I_CONTINUE_NEEDED;
    }
    if (isSecError(status)) {
      return this.#failed(
        new SSPIError('InitializeSecurityContextW', status, {
          context: `target ${this.#options.target}`,
          token: r.output,
        }),
        r.output,
      );
    }
    const done = status === SecStatus.SEC_E_OK;
    const lifetime = secondsUntil(r.expiry);
    return {
      major: done ? 0 : CONTINUE_NEEDED,
      minor: status,
      context: 0n,
      mech: done ? this.#negotiatedMech() : null,
      output: r.output,
      flags: contextFlagsOf(r.attributes),
      lifetime: lifetime ?? INDEFINITE,
    };
  }

  #failed(error: SSPIError, output: Uint8Array | null = null): SspiStepRecord {
    return {
      major: FAILURE,
      minor: error.status,
      context: 0n,
      mech: null,
      output,
      flags: 0,
      lifetime: 0,
      error,
    };
  }

  /**
   * The package Negotiate settled on (SECPKG_ATTR_NEGOTIATION_INFO, which Wine answers too), as a
   * mechanism OID; the requested package's when the attribute is not available.
   */
  #negotiatedMech(): Uint8Array | null {
    let mech: OID | null = null;
    try {
      const { value } = queryContextAttributes(this.#context.value as SspiHandle, 'negotiationInfo');
      if (value?.attribute === 'negotiationInfo') mech = mechOfPackage(value.packageName);
    } catch {
      // Best effort: the attribute only names the mechanism.
    }
    return (mech ?? mechOfPackage(this.#options.packageName))?.bytes ?? null;
  }

  /**
   * The user name the context authenticated as (SECPKG_ATTR_NAMES), or null where the package
   * does not say (Wine 8 answers SEC_E_UNSUPPORTED_FUNCTION).
   */
  initiatorName(): string | null {
    if (this.#context.released) return null;
    const { value } = queryContextAttributes(this.#context.value as SspiHandle, 'names');
    return value?.attribute === 'names' ? value.userName : null;
  }

  /** Releases the context and any credential handle it acquired. Safe to call twice. */
  dispose(): void {
    this.#context.dispose();
    this.#ownCredential?.dispose();
    this.#ownCredential = null;
  }
}
