import assert from 'node:assert/strict';
import type { Agent as HttpsAgent } from 'node:https';
import { Readable } from 'node:stream';
import axios, { type AxiosResponse } from 'axios';
import got, { HTTPError as GotHTTPError, type Response as GotResponse, RequestError } from 'got';
import ky, { HTTPError as KyHTTPError } from 'ky';
import { Agent, interceptors, fetch as undiciFetch, request as undiciRequest } from 'undici';
import { withNegotiate } from '../../src/adapters/axios/index.js';
import { createFetch } from '../../src/adapters/fetch.js';
import { negotiateGot } from '../../src/adapters/got.js';
import { negotiateKy } from '../../src/adapters/ky.js';
import { type NegotiateDispatchContext, negotiate } from '../../src/adapters/undici/index.js';
import { negotiateErrorOf } from '../../src/core/error-report.js';
import { HttpGssapiError } from '../../src/core/errors.js';
import { type NegotiateDetails, negotiateDetailsOf } from '../../src/core/exchange-details.js';
import type { HTTPSPNEGOAuth } from '../../src/core/http-spnego-auth.js';

// One client-agnostic way to send a request through each adapter, so one behavior table runs
// against fetch, axios, got, ky and undici. Each driver checks its client's own error model,
// then hands the table the same thing: an Outcome for a response, or the library error itself.

/** What a table case asks for. */
export interface SendInit {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** A string body: every client can resend it as is. */
  readonly body?: string;
  /** A streamed body: a web ReadableStream for fetch and ky, a node Readable for axios, got and undici. */
  readonly stream?: { readonly size: number; readonly chunk?: number } | readonly string[];
  /** For https to a test certificate: the clients' agents that trust it (kept across sends). */
  readonly tls?: TlsClients;
}

/**
 * Agents that trust a test server's certificate, shared by the sends of one test so that later
 * requests reuse the connection of earlier ones (keep-alive).
 */
export interface TlsClients {
  /** An undici Agent (`connect: { ca }`): fetch and ky (as `dispatcher`), undici (composed). */
  readonly dispatcher: Agent;
  /** A keep-alive node:https Agent (`ca`): axios (`httpsAgent`), got (`agent.https`). */
  readonly httpsAgent: HttpsAgent;
}

/** A response as the table sees it, whichever client delivered it. */
export interface Outcome {
  readonly status: number;
  readonly body: string;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** `negotiateErrorOf` on the client's own response object. */
  readonly negotiateError: HttpGssapiError | undefined;
  /** `negotiateDetailsOf` on the client's own response object. */
  readonly negotiateDetails: NegotiateDetails | undefined;
  /** The client's error for a non-2xx status (axios AxiosError, got/ky HTTPError), or null. */
  readonly rejection: { readonly name: string; readonly cause: unknown } | null;
}

export interface Driver {
  readonly name: 'fetch' | 'axios' | 'got' | 'ky' | 'undici';
  /**
   * Sends one request with a client made for `auth` (learned state lives in `auth`, so two
   * sends with one auth share it). Rejects only with the library's own error, unwrapped.
   */
  send(auth: HTTPSPNEGOAuth, url: string, init?: SendInit): Promise<Outcome>;
}

function chunksOf(stream: NonNullable<SendInit['stream']>): Buffer[] {
  if (Array.isArray(stream)) return stream.map((s) => Buffer.from(s as string));
  const { size, chunk = 4096 } = stream as { size: number; chunk?: number };
  const chunks: Buffer[] = [];
  for (let sent = 0; sent < size; sent += chunk) chunks.push(Buffer.alloc(Math.min(chunk, size - sent), 7));
  return chunks;
}

const webStream = (chunks: Buffer[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(new Uint8Array(c));
      controller.close();
    },
  });

const fromHeaders = (headers: Headers): Record<string, string> => Object.fromEntries(headers.entries());

/** Checks that a client error carries a library error the client's way, and returns that error. */
function libraryError(error: unknown, check: (e: Error & { code?: unknown }) => void): never {
  const cause = (error as { cause?: unknown })?.cause;
  if (cause instanceof HttpGssapiError) {
    check(error as Error & { code?: unknown });
    assert.equal((error as { code?: unknown }).code, cause.code, 'the client error has the library code');
    throw cause;
  }
  throw error;
}

export const fetchDriver: Driver = {
  name: 'fetch',
  async send(auth, url, init = {}) {
    const body = init.stream ? webStream(chunksOf(init.stream)) : init.body;
    const res = await createFetch(auth)(url, {
      method: init.method ?? 'GET',
      headers: { ...init.headers },
      ...(body !== undefined ? { body } : {}),
      ...(init.stream ? { duplex: 'half' } : {}),
      // An undici Agent serves Node's fetch too (the types are undici's and undici-types').
      ...(init.tls ? { dispatcher: init.tls.dispatcher as unknown } : {}),
    } as RequestInit);
    return {
      status: res.status,
      body: await res.text(),
      headers: fromHeaders(res.headers),
      negotiateError: negotiateErrorOf(res),
      negotiateDetails: negotiateDetailsOf(res),
      rejection: null,
    };
  },
};

/** axios through `withNegotiate`, over its http adapter (the default) or another (`'fetch'`). */
function axiosDriverWith(adapter: 'http' | 'fetch'): Driver {
  return {
    name: 'axios',
    async send(auth, url, init = {}) {
      const client = withNegotiate(
        axios.create({
          responseType: 'text',
          ...(adapter === 'fetch' ? { adapter } : {}),
          ...(init.tls ? { httpsAgent: init.tls.httpsAgent } : {}),
        }),
        auth,
      );
      const outcome = (res: AxiosResponse, rejection: Outcome['rejection']): Outcome => ({
        status: res.status,
        body: String(res.data),
        headers: Object.fromEntries(
          Object.entries(axios.AxiosHeaders.from(res.headers as Record<string, string>).toJSON()).map(
            ([k, v]) => [k.toLowerCase(), String(v)],
          ),
        ),
        negotiateError: negotiateErrorOf(res),
        negotiateDetails: negotiateDetailsOf(res),
        rejection,
      });
      try {
        const data = init.stream ? Readable.from(chunksOf(init.stream)) : init.body;
        const res = await client.request({
          url,
          method: init.method ?? 'GET',
          headers: { ...init.headers },
          ...(data !== undefined ? { data } : {}),
        });
        return outcome(res, null);
      } catch (error) {
        if (
          axios.isAxiosError(error) &&
          error.response &&
          !(error.cause instanceof HttpGssapiError && error.code === error.cause.code)
        ) {
          return outcome(error.response, { name: error.name, cause: error.cause });
        }
        return libraryError(error, (e) => {
          assert.ok(axios.isAxiosError(e), 'rejects with an AxiosError');
          assert.equal(e.name, (e.cause as Error).name, 'named after the library error');
        });
      }
    },
  };
}

export const axiosDriver: Driver = axiosDriverWith('http');
/** axios's fetch adapter (`adapter: 'fetch'`), which sends through the global fetch. */
export const axiosFetchDriver: Driver = axiosDriverWith('fetch');

export const gotDriver: Driver = {
  name: 'got',
  async send(auth, url, init = {}) {
    // got's own retries (5xx, network errors) are off: the table counts requests.
    const client = got.extend(negotiateGot(auth), {
      retry: { limit: 0 },
      ...(init.tls ? { agent: { https: init.tls.httpsAgent } } : {}),
    });
    const outcome = (res: GotResponse<string>, rejection: Outcome['rejection']): Outcome => ({
      status: res.statusCode,
      body: res.body,
      headers: Object.fromEntries(
        Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]),
      ),
      negotiateError: negotiateErrorOf(res),
      negotiateDetails: negotiateDetailsOf(res),
      rejection,
    });
    try {
      const body = init.stream ? Readable.from(chunksOf(init.stream)) : init.body;
      const res = await client(url, {
        method: (init.method ?? 'GET') as 'GET',
        headers: { ...init.headers },
        ...(body !== undefined ? { body } : {}),
      });
      return outcome(res as GotResponse<string>, null);
    } catch (error) {
      if (error instanceof GotHTTPError) {
        return outcome(error.response as GotResponse<string>, { name: error.name, cause: error.cause });
      }
      return libraryError(error, (e) =>
        assert.ok(e instanceof RequestError, 'rejects with a got RequestError'),
      );
    }
  },
};

export const kyDriver: Driver = {
  name: 'ky',
  async send(auth, url, init = {}) {
    // ky does not pass `dispatcher` on to fetch: the agent goes in through the base fetch.
    const dispatcher = init.tls?.dispatcher as unknown;
    const base: typeof fetch | undefined = dispatcher
      ? (input, options) => fetch(input, { ...options, dispatcher } as RequestInit)
      : undefined;
    // parseJson keeps ky 2's `error.data` the body text as sent, even when it is not JSON.
    const client = ky.create({ ...negotiateKy(auth, base), retry: 0, parseJson: (text: string) => text });
    const outcome = async (
      res: Response,
      rejection: Outcome['rejection'],
      body?: string,
    ): Promise<Outcome> => ({
      status: res.status,
      body: body ?? (await res.text()),
      headers: fromHeaders(res.headers),
      negotiateError: negotiateErrorOf(res),
      negotiateDetails: negotiateDetailsOf(res),
      rejection,
    });
    try {
      const body = init.stream ? webStream(chunksOf(init.stream)) : init.body;
      const res = await client(url, {
        method: init.method ?? 'GET',
        headers: { ...init.headers },
        ...(body !== undefined ? { body } : {}),
      });
      return await outcome(res, null);
    } catch (error) {
      if (error instanceof KyHTTPError) {
        // ky 2 reads an error response's body into `error.data` (undefined when empty).
        const body = error.response.bodyUsed ? String((error as { data?: unknown }).data ?? '') : undefined;
        return outcome(error.response, { name: error.name, cause: error.cause }, body);
      }
      throw error;
    }
  },
};

/** The undici driver's redirect limit: undici follows none unless its redirect interceptor is composed. */
const MAX_REDIRECTIONS = 5;

/**
 * undici.request through `new Agent().compose(negotiate(auth), interceptors.redirect(...))`:
 * redirect() composed after negotiate(), so each hop is its own Negotiate exchange (the order
 * src/adapters/undici.ts documents). A 401 resolves, as with fetch; the reason is on
 * `res.context.negotiate` (the interceptor's NegotiateDispatchInfo); MutualAuthenticationError
 * and BodyNotReplayableError reject the request itself.
 */
export const undiciDriver: Driver = {
  name: 'undici',
  async send(auth, url, init = {}) {
    const agent = init.tls?.dispatcher ?? new Agent();
    try {
      const res = await undiciRequest(url, {
        dispatcher: agent.compose(
          negotiate(auth),
          interceptors.redirect({ maxRedirections: MAX_REDIRECTIONS }),
        ),
        method: (init.method ?? 'GET') as 'GET',
        headers: { ...init.headers },
        ...(init.stream ? { body: Readable.from(chunksOf(init.stream)) } : {}),
        ...(init.body !== undefined ? { body: init.body } : {}),
      });
      const body = await res.body.text();
      // Absent when the interceptor let the request pass untouched (a caller Authorization header).
      const info = (res.context as Partial<NegotiateDispatchContext> | null)?.negotiate;
      if (info) assert.equal(negotiateErrorOf(info), info.error, 'negotiateErrorOf(info) is info.error');
      return {
        status: res.statusCode,
        body,
        headers: Object.fromEntries(
          Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]),
        ),
        negotiateError: info?.error,
        negotiateDetails: info ? negotiateDetailsOf(info) : undefined,
        rejection: null,
      };
    } finally {
      if (!init.tls) await agent.close();
    }
  },
};

/**
 * undici's own `fetch` with `dispatcher: new Agent().compose(negotiate(auth))`: the interceptor
 * under fetch's redirect handling. A library error rejects fetch as a TypeError ('fetch failed')
 * with the error as its cause; the driver hands the table the cause.
 */
export const undiciFetchDriver: Driver = {
  name: 'fetch',
  async send(auth, url, init = {}) {
    const agent = init.tls?.dispatcher ?? new Agent();
    try {
      const res = await undiciFetch(url, {
        dispatcher: agent.compose(negotiate(auth)),
        method: init.method ?? 'GET',
        headers: { ...init.headers },
        ...(init.body !== undefined ? { body: init.body } : {}),
      }).catch((error: unknown) => {
        const cause = (error as { cause?: unknown }).cause;
        if (!(cause instanceof HttpGssapiError)) throw error;
        assert.ok(error instanceof TypeError, 'fetch rejects with a TypeError');
        throw cause;
      });
      const body = await res.text();
      return {
        status: res.status,
        body,
        headers: Object.fromEntries(res.headers.entries()),
        negotiateError: negotiateErrorOf(res),
        negotiateDetails: negotiateDetailsOf(res),
        rejection: null,
      };
    } finally {
      if (!init.tls) await agent.close();
    }
  },
};

export const drivers: readonly Driver[] = [fetchDriver, axiosDriver, gotDriver, kyDriver, undiciDriver];

/** Which driver names reject a non-2xx response by default, and with what. */
export const rejectsWith: Record<Driver['name'], string | null> = {
  fetch: null,
  axios: 'AxiosError',
  got: 'HTTPError',
  ky: 'HTTPError',
  undici: null,
};
