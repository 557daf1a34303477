import type { Dispatcher } from 'undici';
import type { FlowDecision } from '../../core/flow-types.js';
import type { HTTPSPNEGOAuth } from '../../core/http-spnego-auth.js';
import type { NegotiateFlow } from '../../core/negotiate-flow.js';
import type { OriginBinding, OriginVerdict } from '../../core/origin-binding.js';
import { type ReplayableBody, replayableBody } from '../../core/request-intake.js';
import { sanitizedHeaders } from '../../core/sanitize.js';
import { AbortRace } from '../../internal/abort-race.js';
import { MAX_DRAIN } from '../../internal/buffered-body.js';
import { EndPointBinding } from '../binding/end-point-binding.js';
import { undiciGuard } from '../binding/undici-guard.js';
import type { AttemptMode as Mode, QueuedEvent as Queued } from './attempt-mode.js';
import type { DedicatedConnection, DedicatedConnections } from './dedicated-connections.js';
import { DispatchInfo } from './dispatch-info.js';
import { headerPairs, withHeaders } from './request-target.js';
import { StableController } from './stable-controller.js';
import type { NegotiateDispatchContext, ProxyNegotiateDispatchContext } from './types.js';

type DispatchOptions = Dispatcher.DispatchOptions;
type DispatchHandler = Dispatcher.DispatchHandler;
type DispatchController = Dispatcher.DispatchController;
type Dispatch = Dispatcher.Dispatch;
type DispatchBody = DispatchOptions['body'];
type ResponseHeaders = Record<string, string | string[] | undefined>;

/** Why the interceptor itself dropped a connection (a large 401 body); never reaches the caller. */
class Dropped extends Error {}

const toError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

/** What a {@link NegotiateHandler} is made with, besides the caller's request. */
export interface NegotiateRequestSetup {
  readonly auth: HTTPSPNEGOAuth;
  readonly dispatch: Dispatch;
  readonly url: URL;
  /** The caller's own Cookie header (`requestIntake`). */
  readonly cookie: string | null;
  /** Where a redirect chain started (see `redirectStart`), for the hop's flow. */
  readonly initialUrl: URL | null;
  /** The {@link OriginBinding} verdict for this request's host (server requests only). */
  readonly originVerdict?: OriginVerdict;
  /** The dedicated connections (the `connectionBound` option), or null. */
  readonly origins: DedicatedConnections | null;
  /**
   * `'proxy'`: the request goes to a forward proxy (absolute-form target) at `url`, and the
   * exchange is the proxy's (407, `Proxy-Authorization`); the caller's context is then
   * `{ proxyNegotiate }`. Default `'server'`.
   */
  readonly kind?: 'server' | 'proxy';
}

/**
 * One request through the interceptor, from the caller's single `onRequestStart` to its last
 * callback: it holds the request's state and dispatches itself once per attempt (the bare
 * request, each Negotiate leg), like undici's redirect handler does per hop. Each response goes
 * to the request's {@link NegotiateFlow}, which decides; this class only carries the decision
 * out in undici's handler terms: forward, drain and resend, sanitize, or fail. Callbacks of an
 * attempt that is over (its controller is not the current one) are ignored.
 */
export class NegotiateHandler implements DispatchHandler {
  readonly #setup: NegotiateRequestSetup;
  readonly #opts: DispatchOptions;
  readonly #caller: DispatchHandler;
  readonly #headers: [string, string][];
  readonly #controller: StableController;
  readonly #info: DispatchInfo;
  /** What the caller's `onRequestStart` got; a proxy leg below adds its `proxyNegotiate` to it. */
  #context: Record<string, unknown> = {};
  /** Steps between attempts (a body buffered, a token made, a lock awaited) give way to an abort. */
  readonly #race = new AbortRace();
  #flow: NegotiateFlow | null = null;
  #body: ReplayableBody<DispatchBody> | null = null;
  #done = false;
  #release: (() => void) | null = null;
  #dedicated: DedicatedConnection | null = null;
  /** The request goes without a token on the origin's authenticated dedicated socket. */
  #reuse = false;
  // The current attempt.
  #attempt: DispatchController | null = null;
  /** Whether the flow sent an attempt again bare after a binding mismatch (`flow.rebind`). */
  #rebound = false;
  #mode: Mode = 'connecting';
  #queue: Queued[] = [];
  #drained = 0;
  #nextAuthorization = '';
  #dropped: Dropped | null = null;
  /** On the dedicated connection: drain 401s whole, never drop the connection mid-handshake. */
  #onDedicated = false;
  /** Stops the channel-binding guard watching the current attempt, once it is over. */
  #stopWatching: (() => void) | null = null;

  constructor(setup: NegotiateRequestSetup, opts: DispatchOptions, caller: DispatchHandler) {
    this.#setup = setup;
    this.#opts = opts;
    this.#caller = caller;
    this.#headers = headerPairs(opts.headers);
    this.#info = new DispatchInfo(setup.url);
    this.#controller = new StableController((reason) => this.#onCallerAbort(reason));
  }

  /** Starts the request: the caller's `onRequestStart`, then the first attempt. */
  start(): void {
    // One onRequestStart for the whole request, before any asynchronous work, so that the caller
    // can abort while a body is buffered, a ticket fetched or a dedicated connection awaited.
    const context: NegotiateDispatchContext | ProxyNegotiateDispatchContext =
      this.#setup.kind === 'proxy' ? { proxyNegotiate: this.#info } : { negotiate: this.#info };
    this.#context = context as unknown as Record<string, unknown>;
    this.#caller.onRequestStart!(this.#controller, context);
    if (this.#controller.aborted) return;
    this.#run().catch((error: unknown) => this.#fail(toError(error)));
  }

  // --- undici's callbacks for the current attempt ---

  onRequestStart(controller: DispatchController, context: unknown): void {
    // A proxy dispatcher below (createProxyDispatcher) tells why a 407 came back: the caller
    // sees it next to the origin's exchange.
    const proxy = (context as Partial<ProxyNegotiateDispatchContext> | null)?.proxyNegotiate;
    if (proxy !== undefined && this.#setup.kind !== 'proxy') this.#context['proxyNegotiate'] = proxy;
    if (this.#done) {
      controller.abort(new Dropped('request already finished'));
      return;
    }
    this.#attempt = controller;
    this.#controller.attach(controller);
    if (this.#controller.aborted) controller.abort(this.#controller.reason!);
  }

  onResponseStarted(): void {
    (this.#caller as { onResponseStarted?: () => void }).onResponseStarted?.();
  }

  onResponseStart(
    controller: DispatchController,
    statusCode: number,
    headers: ResponseHeaders,
    statusMessage?: string,
  ): void {
    if (this.#stale(controller) || this.#done) return;
    if (statusCode < 200) {
      // 1xx informational responses belong to the caller whatever happens next.
      this.#caller.onResponseStart?.(this.#controller, statusCode, headers as never, statusMessage);
      return;
    }
    const flow = this.#flow!;
    const response = {
      status: statusCode,
      header: (name: string) => headers[name],
      response: { statusCode, headers },
    };
    if (flow.passes(response)) {
      // No token went out and this is no challenge: nothing to verify or answer.
      this.#mode = 'forward';
      if (this.#release !== null) this.#dedicated?.settle(statusCode, false);
      this.#unlock();
      this.#caller.onResponseStart?.(this.#controller, statusCode, headers as never, statusMessage);
      return;
    }
    this.#mode = 'deciding';
    this.#controller.hold(true);
    flow.onResponse(response).then(
      (decision) => this.#apply(decision, statusCode, headers, statusMessage),
      (error: unknown) => this.#reject(toError(error)),
    );
  }

  onResponseData(controller: DispatchController, chunk: Buffer): void {
    if (this.#stale(controller)) return;
    switch (this.#mode) {
      case 'forward':
        this.#caller.onResponseData?.(this.#controller, chunk);
        return;
      case 'deciding':
        this.#queue.push({ type: 'data', chunk });
        return;
      case 'drain':
      case 'sink':
        this.#drained += chunk.byteLength;
        if (this.#drained > MAX_DRAIN && !(this.#onDedicated && this.#mode === 'drain') && !this.#dropped) {
          // Not worth reading: drop the connection (never the dedicated one mid-handshake).
          this.#dropped = new Dropped('response body too large to drain');
          controller.abort(this.#dropped);
        }
        return;
      default:
        return;
    }
  }

  onResponseEnd(controller: DispatchController, trailers: ResponseHeaders): void {
    if (this.#stale(controller)) return;
    switch (this.#mode) {
      case 'forward':
        this.#finish();
        this.#caller.onResponseEnd?.(this.#controller, trailers as never);
        return;
      case 'deciding':
        this.#queue.push({ type: 'end', trailers });
        return;
      case 'drain':
        this.#mode = 'discard';
        this.#next(this.#nextAuthorization);
        return;
      default:
        return;
    }
  }

  onResponseError(controller: DispatchController | null, error: Error): void {
    if (this.#stale(controller)) return;
    switch (this.#mode) {
      case 'deciding':
        this.#queue.push({ type: 'error', error });
        return;
      case 'drain':
        this.#mode = 'discard';
        if (error === this.#dropped) this.#next(this.#nextAuthorization);
        else this.#toCaller(error);
        return;
      case 'sink':
      case 'discard':
        return;
      default:
        if (error instanceof Dropped) return;
        // A bound token stopped before it was written (another certificate on the connection):
        // once, the attempt goes again bare, on the dedicated connection when there is one.
        if (this.#flow?.rebind(error)) {
          this.#rebound = true;
          // Through #next: the refused connection's client is free again by then, so the pool
          // does not leave it for another that the 401's answer would then miss.
          this.#next(null);
          return;
        }
        this.#toCaller(error);
    }
  }

  /**
   * Whether a callback comes from an attempt that is over. An attempt ends (its response read
   * or its connection dropped) before the next is dispatched, so this is a safety net; a failure
   * before `onRequestStart` (a refused connection) comes without a controller and is current.
   */
  #stale(controller: DispatchController | null | undefined): boolean {
    return controller != null && this.#attempt !== null && controller !== this.#attempt;
  }

  // --- the request ---

  async #run(): Promise<void> {
    const { auth, url, initialUrl } = this.#setup;
    this.#body = await this.#race.run(replayableBody(auth, this.#opts.body), (late) =>
      late.kind === 'once' ? late.discard() : undefined,
    );
    // Connection-persistent auth: the origin's dedicated socket is authenticated already, so this
    // request goes there without a token.
    this.#reuse = this.#setup.origins?.peek(url.origin)?.authenticated ?? false;
    this.#flow = auth.flow(url, {
      kind: this.#setup.kind ?? 'server',
      connectionAuthenticated: this.#reuse,
      initialUrl,
      binding: this.#setup.originVerdict,
      replayable: this.#body.kind !== 'once',
      subject: this.#info,
      cookie: this.#setup.cookie,
      peerCertificate: undiciGuard.peerCertificate(url),
      signal: this.#race.signal,
    });
    await this.#send(await this.#race.run(this.#flow.start()));
  }

  /** Sends one attempt; tokens go through the origin's dedicated connection when there is one. */
  async #send(authorization: string | null): Promise<void> {
    if (this.#done) return;
    const { origins } = this.#setup;
    let dispatch = this.#setup.dispatch;
    if (origins && (authorization !== null || this.#reuse || this.#rebound)) {
      if (!this.#release) {
        this.#dedicated = origins.for(this.#setup.url.origin);
        this.#release = await this.#race.run(this.#dedicated.lock.acquire(this.#race.aborted), (release) =>
          release(),
        );
      }
      const dedicated = this.#dedicated!.dispatcher;
      dispatch = dedicated.dispatch.bind(dedicated);
      this.#info.connectionBound = true;
    }
    if (authorization !== null) this.#info.tokensSent++;
    this.#stopWatching?.();
    // A bound token may go only on a connection with its certificate (channel bindings).
    const binding = authorization === null ? null : EndPointBinding.of(this.#flow!.boundCertificate);
    this.#stopWatching = binding ? undiciGuard.watch(authorization!, this.#setup.url, binding) : null;
    this.#attempt = null;
    this.#mode = 'connecting';
    this.#queue = [];
    this.#drained = 0;
    this.#dropped = null;
    this.#onDedicated = this.#release !== null;
    this.#controller.attach(null);
    const opts: DispatchOptions = {
      ...this.#opts,
      // The dedicated connection must outlive each leg (`reset` would close it after this one).
      ...(this.#release !== null ? { reset: false } : {}),
      headers: withHeaders(this.#headers, this.#flow!.requestHeaders(authorization)),
      body: (this.#body!.body ?? null) as NonNullable<DispatchBody> | null,
    };
    try {
      dispatch(opts, this);
    } catch (error) {
      // The dispatcher refused at once (closed, bad options): the caller hears it.
      this.#toCaller(toError(error));
    }
  }

  #apply(decision: FlowDecision, statusCode: number, headers: ResponseHeaders, statusMessage?: string): void {
    if (this.#done) return;
    if (decision.action === 'retry') {
      // Another leg: read this 401 to its end (keep-alive), then send the token.
      this.#dedicated?.settle(statusCode, true);
      this.#mode = 'drain';
      this.#nextAuthorization = decision.authorization;
      this.#flush();
      this.#controller.hold(false);
      return;
    }
    if (this.#release !== null) this.#dedicated?.settle(statusCode, decision.error !== undefined);
    this.#unlock();
    if (decision.error) this.#info.error = decision.error;
    try {
      if (decision.sanitize) {
        // Mutual authentication REQUIRED and the server did not prove itself.
        const clean = sanitizedHeaders((name) => headers[name]);
        this.#controller.overrideRawHeaders(Object.entries(clean).flat());
        this.#mode = 'sink';
        this.#queue = this.#queue.filter((e) => e.type !== 'data');
        this.#finish();
        this.#caller.onResponseStart?.(this.#controller, statusCode, clean as never, statusMessage);
        this.#caller.onResponseEnd?.(this.#controller, {} as never);
      } else {
        this.#mode = 'forward';
        this.#caller.onResponseStart?.(this.#controller, statusCode, headers as never, statusMessage);
      }
    } catch (thrown) {
      // As undici does: a handler that throws in onResponseStart aborts the request with that error.
      const failure = toError(thrown);
      this.#attempt?.abort(failure);
      if (this.#mode === 'forward') this.#toCaller(failure);
      return;
    }
    this.#flush();
    this.#controller.hold(false);
  }

  /** The flow rejected the response (mutual authentication): nothing of it reaches the caller. */
  #reject(error: Error): void {
    if (this.#done) return;
    this.#queue = [];
    this.#toCaller(error);
    // Drop the connection it came on.
    this.#dropped = new Dropped('response rejected');
    this.#attempt?.abort(this.#dropped);
  }

  /** Replays events that arrived while the flow was deciding. */
  #flush(): void {
    const queue = this.#queue;
    this.#queue = [];
    const controller = this.#attempt!;
    for (const event of queue) {
      if (event.type === 'data') this.onResponseData(controller, event.chunk);
      else if (event.type === 'end') this.onResponseEnd(controller, event.trailers);
      else this.onResponseError(controller, event.error);
    }
  }

  /** The 401 was drained (or a bound token refused by the guard: null, a bare attempt): send the next leg. */
  #next(authorization: string | null): void {
    if (this.#done) return;
    // Not at once: undici frees a keep-alive connection (pipelining 1) in a setImmediate queued
    // after onResponseEnd returns, and a dispatch made before that would open a new connection
    // instead of reusing the one the 401 came on. Two turns of the check phase put the next leg
    // after undici's own resume.
    setImmediate(() =>
      setImmediate(() => {
        if (this.#done) return;
        if (this.#controller.aborted) {
          this.#fail(this.#controller.reason!);
          return;
        }
        this.#send(authorization).catch((error: unknown) => this.#fail(toError(error)));
      }),
    );
  }

  #toCaller(error: Error): void {
    this.#mode = 'discard';
    if (this.#done) return;
    this.#finish();
    this.#caller.onResponseError?.(this.#controller, error);
  }

  /** The caller got (or is getting) its last callback: the exchange is over. */
  #finish(): void {
    this.#done = true;
    this.#stopWatching?.();
    this.#flow?.dispose();
    this.#unlock();
  }

  /** The dedicated connection is free for the next handshake. */
  #unlock(): void {
    const release = this.#release;
    this.#release = null;
    release?.();
  }

  #fail(failure: Error): void {
    if (this.#done) return;
    // After an abort, whatever else went wrong on the way out, the caller hears its own reason.
    const error = this.#controller.aborted ? this.#controller.reason! : failure;
    this.#finish();
    if (this.#body?.kind === 'once') this.#body.discard();
    else if (this.#body === null) destroyBody(this.#opts.body, error);
    this.#caller.onResponseError?.(this.#controller, error);
  }

  #onCallerAbort(reason: Error): void {
    this.#race.abort(reason);
    const target = this.#controller.target;
    if (this.#mode === 'forward' && target) {
      // The caller has the response: undici reports the abort through the attempt.
      target.abort(reason);
      return;
    }
    target?.abort(reason);
    // Between attempts (a body being buffered, a ticket fetched, a lock awaited, a 401 drained).
    queueMicrotask(() => this.#fail(reason));
  }
}

function destroyBody(body: DispatchBody, error: Error): void {
  const stream = body as { destroy?: (e?: Error) => void; readableEnded?: boolean } | null | undefined;
  if (stream && typeof stream.destroy === 'function' && !stream.readableEnded) stream.destroy(error);
}
