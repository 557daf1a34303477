/**
 * One plain http request through `http-gssapi proxy`: the client's absolute-form request
 * (RFC 9112 section 3.2.2) forwarded to the upstream proxy with `Proxy-Authorization:
 * Negotiate`, the 407 legs answered by the library's own exchange (a `NegotiateFlow` of kind
 * `proxy`), or sent directly to the origin for a `NO_PROXY` host.
 *
 * Each attempt goes on a new upstream connection (`agent: false`): a token is never sent on a
 * connection where another one was (squid's replay cache refuses a token seen before, and squid
 * refuses every later token on a connection where one failed), and an upstream connection never
 * carries two clients' requests.
 *
 * @module
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { pipeline, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { BodyNotReplayableError } from '../core/errors.js';
import type { FlowDecision } from '../core/flow-types.js';
import type { HTTPSPNEGOAuth } from '../core/http-spnego-auth.js';
import type { NegotiateFlow } from '../core/negotiate-flow.js';
import { LOCAL_TARGET_REFUSED } from './local-target-guard.js';
import { type ProxyOutcome, reasonOf, sendReason } from './proxy-outcome.js';
import type { ViaEntry } from './proxy-via.js';

/**
 * Hop-by-hop fields (RFC 9110 section 7.6.1), and those a proxy consumes itself: never
 * forwarded either way. `Proxy-Authorization` from the local client is dropped: this proxy
 * asks none, and the upstream's comes from the flow. `Expect` is answered here (node:http sends
 * `100 Continue` itself).
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'expect',
]);

/** The fields of `headers` that go on to the next hop: hop-by-hop ones and those `Connection` names removed. */
function endToEnd(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const named = String(headers['connection'] ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase());
  const kept: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && !named.includes(name)) kept[name] = value;
  }
  return kept;
}

/** The request body, read up to a limit: all of it (replayable), or a prefix and the rest of the stream. */
interface RequestBody {
  readonly chunks: readonly Buffer[];
  /** The rest of the body, still to be read, or null when `chunks` hold all of it. */
  readonly rest: Readable | null;
}

/** Reads the body into memory up to `limit` bytes: a 407 leg can then send it again. */
function readBody(req: http.IncomingMessage, limit: number): Promise<RequestBody> {
  const hasBody =
    req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (!hasBody) {
    req.resume();
    return Promise.resolve({ chunks: [], rest: null });
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (rest: Readable | null) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', reject);
      req.off('close', onClose);
      resolve({ chunks, rest });
    };
    // The client went away before the end of its body: nothing to forward.
    const onClose = () =>
      reject(new Error('the client closed the connection before the end of the request body'));
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > limit) {
        req.pause();
        done(req);
      }
    };
    const onEnd = () => done(null);
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', reject);
    req.once('close', onClose);
  });
}

/** Where one request goes. */
export interface HttpRoute {
  /** The upstream proxy, or null for a direct request (a `NO_PROXY` host). */
  readonly proxy: URL | null;
  readonly auth: HTTPSPNEGOAuth;
  /** Aborted when the client leaves or the proxy stops: the upstream request is given up. */
  readonly signal: AbortSignal;
  /** Silence (ms) after which the upstream request is given up; none when absent. */
  readonly idleTimeout?: number;
  /** This proxy's `Via` entry, appended to the request's (RFC 9110 section 7.6.3). */
  readonly via?: ViaEntry;
  /** The name lookup of a direct connection (one that refuses this machine's addresses). */
  readonly lookup?: net.LookupFunction;
}

/** Sends one attempt and resolves with the response head. */
function sendAttempt(
  route: HttpRoute,
  target: URL,
  method: string,
  headers: http.OutgoingHttpHeaders,
  body: RequestBody,
): Promise<http.IncomingMessage> {
  const via = route.proxy ?? target;
  const secure = via.protocol === 'https:';
  const host = via.hostname.replace(/^\[(.*)\]$/, '$1');
  const options: https.RequestOptions = {
    host,
    port: Number(via.port) || (secure ? 443 : 80),
    method,
    // To a proxy the target in absolute form; to the origin itself in origin form.
    path: route.proxy ? target.href : `${target.pathname}${target.search}`,
    headers: { ...headers, host: target.host },
    agent: false,
    signal: route.signal,
    // TLS to an https proxy is with the proxy: its certificate is checked against its own name,
    // which also goes out as SNI. Without this node takes both from the Host field, the target's.
    // An IP literal sends no SNI (RFC 6066 section 3), and is checked as an IP address.
    ...(secure ? { servername: net.isIP(host) ? '' : host } : {}),
    ...(route.idleTimeout ? { timeout: route.idleTimeout } : {}),
    ...(route.lookup ? { lookup: route.lookup } : {}),
  };
  return new Promise((resolve, reject) => {
    const request = (secure ? https : http).request(options, resolve);
    // Every error, not only the first: one after the response head (a reset upstream) must not
    // go unhandled; the response stream reports it to whoever reads it.
    request.on('error', reject);
    request.on('timeout', () =>
      request.destroy(new Error(`${via.host} sent nothing for ${Math.round(route.idleTimeout! / 1000)} s`)),
    );
    for (const chunk of body.chunks) request.write(chunk);
    // pipeline, not pipe: a client that aborts its upload aborts the upstream request with it.
    if (body.rest) pipeline(body.rest, request, () => {});
    else request.end();
  });
}

/**
 * Forwards `req` (whose target is `target`) and writes the answer to `res`: the origin's
 * response as it came, or for a 407 that Negotiate could not satisfy (no ticket, a refused
 * token, a proxy that does not offer Negotiate) a 407 of our own with the reason and no token,
 * or a 502 when the upstream cannot be reached.
 *
 * @returns what happened, for the log line.
 * @example
 * ```ts
 * const outcome = await forwardHttpRequest(req, res, new URL(req.url!), { proxy, auth, signal });
 * ```
 */
export async function forwardHttpRequest(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  target: URL,
  route: HttpRoute,
): Promise<ProxyOutcome> {
  const method = req.method ?? 'GET';
  const body = await readBody(req, route.auth.options.maxReplayBodySize);
  const headers = endToEnd(req.headers);
  if (route.via) headers['via'] = route.via.append(req.headers.via);
  if (body.rest === null) {
    const length = body.chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    if (length > 0 || headers['content-length'] !== undefined) headers['content-length'] = String(length);
  }
  const flow: NegotiateFlow | null = route.proxy
    ? route.auth.flow(route.proxy, { kind: 'proxy', replayable: body.rest === null })
    : null;
  try {
    let authorization = flow ? await flow.start() : null;
    for (;;) {
      const response = await sendAttempt(
        route,
        target,
        method,
        { ...headers, ...flow?.requestHeaders(authorization) },
        body,
      );
      const status = response.statusCode ?? 502;
      const decision = flow
        ? await flow.onResponse({ status, header: (name) => response.headers[name], response })
        : ({ action: 'return', sanitize: false } as FlowDecision);
      if (decision.action === 'retry') {
        // The 407's body is the proxy's error page: read and dropped, its connection closed.
        response.resume();
        response.destroy();
        authorization = decision.authorization;
        continue;
      }
      const legs = flow?.tokensSent ?? 0;
      if (status === 407 && flow) {
        response.resume();
        const reason = reasonOf(decision.error, 'the upstream proxy does not offer Negotiate');
        sendReason(res, 407, reason);
        return { status, legs, reason };
      }
      res.writeHead(status, response.statusMessage, endToEnd(response.headers));
      // An upstream that fails mid-body cuts the client's response short: it cannot be told otherwise.
      response.once('error', () => res.destroy());
      response.pipe(res);
      await finished(res).catch(() => response.destroy());
      return { status, legs, reason: null };
    }
  } catch (error) {
    // No token for a body that cannot wait (BodyNotReplayableError), or no upstream at all.
    const reason = reasonOf(error, 'the request failed');
    const localTarget = (error as { code?: unknown }).code === LOCAL_TARGET_REFUSED;
    const status = error instanceof BodyNotReplayableError ? 407 : localTarget ? 403 : 502;
    if (!res.headersSent) sendReason(res, status, reason);
    else res.destroy();
    return { status, legs: flow?.tokensSent ?? 0, reason };
  } finally {
    flow?.dispose();
  }
}
