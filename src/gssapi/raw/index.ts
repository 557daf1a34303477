/**
 * `http-gssapi/gssapi/raw`: the system GSSAPI library, one function per C call (RFC 2744 and
 * the MIT/Heimdal extensions the typed layer needs). Results are status records; nothing here
 * throws a GSS error. Most applications want `http-gssapi/gssapi` instead.
 *
 * C types map as follows: handles are opaque `bigint` addresses (0n is `GSS_C_NO_NAME` /
 * `GSS_C_NO_CREDENTIAL` / `GSS_C_NO_CONTEXT`), OIDs are their DER content bytes, buffers are
 * `Uint8Array`. Deciding what is an error is the typed layer's job (python-gssapi's raw layer is
 * the model, RFC 2744 the reference). Calls that may reach the KDC, DNS or the disk return
 * promises: they run on a worker thread and at most {@link setMaxConcurrentCalls} of them are in
 * flight.
 *
 * One module per C API area, as in python-gssapi's `gssapi/raw/`: `names`, `creds`,
 * `sec-contexts`, `misc`, and one per extension (`ext-cred-store`, `ext-password`,
 * `ext-neg-mechs`, `ext-acceptor-identity`), each probed when the library loads (`GssapiLibraryInfo.capabilities`).
 *
 * @example
 * ```ts
 * import { importName, displayName, releaseName, isError } from 'http-gssapi/gssapi/raw';
 * const { major, name } = importName('HTTP@web.example.org', new Uint8Array([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x01, 0x04]));
 * if (!isError(major)) { console.log(displayName(name).text); releaseName(name); }
 * ```
 * @module
 */
export { concurrentCalls, setMaxConcurrentCalls } from './call-limiter.js';
export {
  AddressType,
  CALLING_ERROR_NAMES,
  COMPLETE,
  CONTINUE_NEEDED,
  ContextFlag,
  CredUsage,
  type GSSStatusName,
  INDEFINITE,
  isError,
  ROUTINE_ERROR_NAMES,
  StatusType,
  SUPPLEMENTARY_NAMES,
  splitMajor,
} from './constants.js';
export {
  type AcquireCredInput,
  type AcquireCredResult,
  acquireCred,
  inquireCred,
  releaseCred,
} from './creds.js';
export { registerAcceptorIdentity } from './ext-acceptor-identity.js';
export { acquireCredFrom, storeCredInto } from './ext-cred-store.js';
export { setNegMechs } from './ext-neg-mechs.js';
export { acquireCredWithPassword } from './ext-password.js';
export {
  type ContextHandle,
  type CredHandle,
  type NameHandle,
  NO_CONTEXT,
  NO_CREDENTIAL,
  NO_NAME,
  type Status,
} from './handles.js';
export {
  defaultCandidates,
  type GssapiCapabilities,
  GssapiLibraryError,
  type GssapiLibraryErrorCode,
  type GssapiLibraryInfo,
  type GssapiProvider,
  INSTALL_HINT,
  loadGssapiLibrary,
} from './library.js';
export { type ChannelBindingsInput, outstandingAllocations } from './memory.js';
export { displayStatus, indicateMechs } from './misc.js';
export {
  canonicalizeName,
  compareName,
  displayName,
  duplicateName,
  exportName,
  importName,
  releaseName,
} from './names.js';
export { acceptSecContext, deleteSecContext, initSecContext, inquireContext } from './sec-contexts.js';
