import type { ContextFactory, ContextRequest, NegotiateContext } from '../../src/core/negotiate-context.js';

/** A scripted stand-in for a GSSAPI initiator context, for unit tests of the flow. */
export interface FakeScript {
  /** Token produced by the first step (default 'tok-1'); later steps produce `next` tokens. */
  readonly first?: string;
  /** Output of steps after the first, by server token; null completes the context. */
  readonly continue?: (serverToken: string) => string | null;
  /** Error thrown by the first step. */
  readonly failFirst?: Error;
  /** Server tokens the fake accepts as a valid final token. Default: 'server-ok'. */
  readonly validFinal?: readonly string[];
  /** Whether the first step completes the context (no mutual auth). Default: false. */
  readonly completeAfterFirst?: boolean;
  /** Whether a context completed by a later step reports mutual authentication granted. Default: false. */
  readonly mutualOnComplete?: boolean;
  /** The flags every context reports as granted (`actualFlags`); default undefined. */
  readonly grantedFlags?: number;
}

export interface FakeFactory extends ContextFactory {
  readonly created: ContextRequest[];
  readonly disposed: number;
  readonly steps: (string | null)[];
}

const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString() : null);

export function fakeContextFactory(script: FakeScript = {}): FakeFactory {
  const created: ContextRequest[] = [];
  const steps: (string | null)[] = [];
  let disposed = 0;
  const factory = ((request: ContextRequest): NegotiateContext => {
    created.push(request);
    let stepCount = 0;
    let complete = false;
    return {
      get complete() {
        return complete;
      },
      mech: null,
      actualFlags: script.grantedFlags,
      get mutualAuthenticated() {
        return complete && stepCount > 1 && (script.mutualOnComplete ?? false);
      },
      async step(token) {
        steps.push(text(token));
        stepCount++;
        if (stepCount === 1) {
          if (script.failFirst) throw script.failFirst;
          complete = script.completeAfterFirst ?? false;
          return Buffer.from(script.first ?? 'tok-1');
        }
        const server = text(token) ?? '';
        if (script.continue) {
          const out = script.continue(server);
          if (out === null) complete = true;
          return out === null ? null : Buffer.from(out);
        }
        if (!(script.validFinal ?? ['server-ok']).includes(server)) {
          throw Object.assign(new Error('bad final token'), { code: 'GSS_S_DEFECTIVE_TOKEN' });
        }
        complete = true;
        return null;
      },
      dispose() {
        disposed++;
      },
    };
  }) as FakeFactory;
  Object.defineProperties(factory, {
    created: { value: created },
    steps: { value: steps },
    disposed: { get: () => disposed },
  });
  return factory;
}

/** Base64 of a string, as it appears in a Negotiate header. */
export const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A scripted fetch: each call gets the next handler's response and is recorded. */
export function scriptedFetch(
  handlers: ((url: string, init: RequestInit & { duplex?: string }) => Response | Promise<Response>)[],
): typeof fetch & {
  calls: { url: string; init: RequestInit; authorization: string | null; body: string | null }[];
} {
  const calls: { url: string; init: RequestInit; authorization: string | null; body: string | null }[] = [];
  const fn = async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = String(input instanceof Request ? input.url : input);
    let body: string | null = null;
    if (init.body != null)
      body = await new Response(init.body as ConstructorParameters<typeof Response>[0]).text();
    calls.push({ url, init, authorization: new Headers(init.headers).get('authorization'), body });
    const handler = handlers[Math.min(calls.length - 1, handlers.length - 1)];
    if (!handler) throw new Error('no handler');
    return handler(url, init);
  };
  return Object.assign(fn, { calls }) as never;
}
