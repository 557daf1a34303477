/**
 * `http-gssapi/gssapi/raw`: the system GSSAPI library, one function per C call (RFC 2744 and
 * the MIT/Heimdal extensions the typed layer needs). Results are status records; nothing here
 * throws a GSS error. Most applications want `http-gssapi/gssapi` instead.
 *
 * @example
 * ```ts
 * import { importName, displayName, releaseName, isError } from 'http-gssapi/gssapi/raw';
 * const { major, name } = importName('HTTP@web.example.org', new Uint8Array([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x01, 0x04]));
 * if (!isError(major)) { console.log(displayName(name).text); releaseName(name); }
 * ```
 * @module
 */
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
  acceptSecContext,
  acquireCred,
  acquireCredFrom,
  acquireCredWithPassword,
  type ContextHandle,
  type CredHandle,
  canonicalizeName,
  compareName,
  concurrentCalls,
  deleteSecContext,
  displayName,
  displayStatus,
  duplicateName,
  exportName,
  importName,
  indicateMechs,
  initSecContext,
  inquireContext,
  inquireCred,
  type NameHandle,
  NO_CONTEXT,
  NO_CREDENTIAL,
  NO_NAME,
  releaseCred,
  releaseName,
  type Status,
  setMaxConcurrentCalls,
  setNegMechs,
  storeCredInto,
} from './functions.js';
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
