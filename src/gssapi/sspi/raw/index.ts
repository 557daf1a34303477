/**
 * The SSPI raw layer: secur32.dll, one function per Windows call, as `src/gssapi/raw` is for the
 * C GSSAPI. Results are status records (`status` is the unsigned SECURITY_STATUS); nothing here
 * throws for a failed call. Handles are packed into `bigint`s (see `handles.ts`). Internal: the
 * typed layer (`http-gssapi/gssapi`) is the public way to use SSPI.
 *
 * @example
 * ```ts
 * import { acquireCredentialsHandle, CredentialUse } from './sspi/raw/index.js';
 * const r = await acquireCredentialsHandle({ principal: null, packageName: 'Negotiate', use: CredentialUse.OUTBOUND, identity: null });
 * ```
 * @module
 */
export { encodeSecChannelBindings, SEC_CHANNEL_BINDINGS_SIZE } from './channel-bindings.js';
export {
  ContextAttribute,
  CredentialUse,
  IscReq,
  IscRet,
  isSecError,
  NegotiationState,
  SEC_WINNT_AUTH_IDENTITY_UNICODE,
  SEC_WINNT_AUTH_IDENTITY_VERSION,
  SECBUFFER_VERSION,
  SECURITY_NATIVE_DREP,
  SecBufferType,
  SecStatus,
  type SecStatusName,
} from './constants.js';
export {
  type ContextAttributeValue,
  completeAuthToken,
  deleteSecurityContext,
  type InitializeInput,
  type InitializeResult,
  initializeSecurityContext,
  queryContextAttributes,
} from './contexts.js';
export {
  type AcquireCredentialsInput,
  type AcquireCredentialsResult,
  type AuthIdentity,
  acquireCredentialsHandle,
  encodeAuthIdentity,
  freeCredentialsHandle,
} from './credentials.js';
export { NO_HANDLE, packHandle, type SspiHandle, unpackHandle } from './handles.js';
export { loadSspiLibrary, type SspiLibraryInfo, wineVersion } from './library.js';
export {
  type SecBufferInput,
  SspiArena,
  sspiOutstandingAllocations,
  sspiStructs,
  wideString,
} from './memory.js';
export { freeContextBuffer, type PackageInfo, querySecurityPackageInfo } from './packages.js';
