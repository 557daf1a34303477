import type { ChannelBindings } from '../gssapi/channel-bindings.js';
import type { Credentials } from '../gssapi/credentials.js';
import { ContextFlag } from '../gssapi/index.js';
import { Name } from '../gssapi/name.js';
import { NameType } from '../gssapi/name-type.js';
import type { OID } from '../gssapi/oid.js';
import { SecurityContext } from '../gssapi/security-context.js';
import { TokenWithheldError } from './errors.js';

/**
 * The part of a security context the Negotiate flow uses. A real {@link SecurityContext}
 * satisfies it; unit tests pass a scripted fake through {@link ContextFactory}.
 */
export interface NegotiateContext {
  step(token?: Uint8Array | null): Promise<Uint8Array | null>;
  readonly complete: boolean;
  readonly mech?: OID | null;
  /** Whether the exchange is complete with mutual authentication granted: the server proved itself. */
  readonly mutualAuthenticated: boolean;
  /** The context flags granted so far (`ret_flags`), for diagnostics; absent when unknown. */
  readonly actualFlags?: number | undefined;
  dispose(): void;
  /**
   * Settles once no step of this context is still running underneath, even one its caller gave
   * up on (see `deadlineContextFactory`): when the credential handle it used is free again.
   */
  settled?(): Promise<void>;
}

/** What a context is made for. */
export interface ContextRequest {
  /** The target as resolved from `targetName` (a Name, or a `service@host` string). */
  readonly target: Name | string;
  readonly flags: number;
  readonly mech: OID | null;
  readonly creds: Credentials | null;
  /** RFC 5929 `tls-server-end-point` bindings of the connection the token goes on, or null. */
  readonly channelBindings?: ChannelBindings | null;
  /** The request's abort signal: a step still running when it aborts is abandoned (see `deadlineContextFactory`). */
  readonly signal?: AbortSignal | undefined;
  /** Whether the first step is expected to need no KDC exchange (a ticket for the target fetched recently). */
  readonly fast?: boolean | undefined;
  /**
   * With `creds` null: what SPNEGO may negotiate with the default credentials the context
   * acquires, for a provider that limits them at acquisition only (see
   * `InitiatorOptions.negotiableMechs`). Null or absent: no limit.
   */
  readonly negotiableMechs?: readonly OID[] | null | undefined;
}

/** Makes a fresh context per request (and per redirect hop): tokens are never reused. */
export type ContextFactory = (request: ContextRequest) => NegotiateContext;

/** The default factory: a GSSAPI initiator context. The target Name is released with it. */
export const gssapiContextFactory: ContextFactory = (request) => {
  const owned = typeof request.target === 'string';
  const name = owned
    ? new Name(request.target as string, NameType.hostbasedService)
    : (request.target as Name);
  const ctx = new SecurityContext({
    usage: 'initiate',
    name,
    creds: request.creds,
    mech: request.mech,
    flags: request.flags,
    channelBindings: request.channelBindings ?? null,
    negotiableMechs: request.negotiableMechs ?? null,
  });
  if (!owned) return ctx;
  return {
    step: (token) => ctx.step(token),
    get complete() {
      return ctx.complete;
    },
    get mech() {
      return ctx.mech;
    },
    get mutualAuthenticated() {
      return ctx.mutualAuthenticated;
    },
    get actualFlags() {
      return ctx.actualFlags;
    },
    dispose() {
      ctx.dispose();
      name.dispose();
    },
  };
};

/**
 * Request flags (RFC 2744 section 5.19): sequence detection always (out-of-sequence tokens are
 * refused, as the Python original asks), mutual unless disabled, delegation when asked.
 */
export function requestFlags(mutual: boolean, delegate: boolean | 'policy'): number {
  let flags = ContextFlag.SEQUENCE;
  if (mutual) flags |= ContextFlag.MUTUAL;
  if (delegate === true) flags |= ContextFlag.DELEG;
  if (delegate === 'policy') flags |= ContextFlag.DELEG_POLICY;
  return flags;
}

/**
 * The service name for a request (RFC 4559 section 4 leaves it to GSSAPI; every implementation
 * uses `HTTP@<host>`): `'HTTP'` gives `HTTP@<hostname of the URL>`, a string with `@` is used
 * as is, a Name unchanged. IPv6 literals lose their brackets.
 *
 * The hostname is the one the client connects to, as WHATWG URL parsing leaves it (the adapters
 * and their clients parse the same way): lower case, an IDN in its ASCII form (what DNS and the
 * KDC know), and a trailing dot kept. MIT krb5 (krb5_sname_to_principal) lower-cases the host and
 * removes one trailing dot itself, after its DNS lookup, where the dot means what it meant for the
 * connection (no search domains); removing it here would change that lookup.
 */
export function resolveTarget(targetName: string | Name, url: URL): string | Name {
  if (targetName instanceof Name) return targetName;
  if (targetName.includes('@')) return targetName;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return `${targetName}@${host}`;
}

/**
 * Why a redirect hop to `url`, of a request first made to `initial`, must get no token, or null
 * when it may (RFC 9110 section 15.4 leaves what credentials follow a redirect to the client):
 *
 * - A request that started over https gets no token on a plain http hop: the token would cross
 *   the network in clear, where it can be captured and replayed (RFC 4559 section 6), after the
 *   caller asked for TLS. (curl sends no credentials at all after a redirect changes the scheme.)
 * - A fixed target (`'svc@host'` or a Name) is the service of the host the request was made to.
 *   A hop to another host gets no token for it: that host could relay the token to the service
 *   and be taken for the user there. A target made from the URL (`HTTP@<hop host>`) is per hop.
 */
export function hopRefusal(targetName: string | Name, initial: URL, url: URL): TokenWithheldError | null {
  if (initial.protocol === 'https:' && url.protocol === 'http:') {
    return new TokenWithheldError('the request started over https and was redirected to plain http', {
      hint: 'no Negotiate token is sent in clear text after https: fix the redirect on the server',
    });
  }
  const fixed = targetName instanceof Name || targetName.includes('@');
  if (fixed && url.hostname !== initial.hostname) {
    return new TokenWithheldError(
      `the request was redirected from ${initial.hostname} to ${url.hostname}, and targetName names a fixed service`,
      {
        hint: "a token for the fixed targetName goes only to the host the request was made to; follow the redirect yourself (fetch redirect: 'manual', axios maxRedirects: 0, got followRedirect: false) if that host should get one",
      },
    );
  }
  return null;
}
