import { Readable } from 'node:stream';

/**
 * A request body that can only be read once (a Node stream, a web ReadableStream, a generator),
 * read into memory so it can be sent again after a 401 (RFC 4559 section 5 resends the request
 * with the token), or, past the cap, a stream that replays what was read and then the rest, once.
 */
export type BufferedBody =
  | { readonly kind: 'buffered'; readonly body: Buffer }
  | {
      readonly kind: 'once';
      readonly body: Readable;
      /** Releases the stream and its source when the body will never be sent (an abort). */
      discard(): void;
    };

/** Response bodies we discard are read up to this size for keep-alive; larger ones are dropped. */
export const MAX_DRAIN = 64 * 1024;

/**
 * Whether `value` is a body that is consumed by sending it: a Node stream (anything with `pipe`,
 * including the `form-data` package), a web ReadableStream, or an iterable of chunks. Strings,
 * buffers, Blobs, FormData and URLSearchParams are re-read by the client on each send.
 */
export function isOneShotBody(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (
    Buffer.isBuffer(value) ||
    ArrayBuffer.isView(value) ||
    value instanceof ArrayBuffer ||
    value instanceof Blob ||
    value instanceof URLSearchParams ||
    value instanceof FormData ||
    // Another realm's or package's FormData (npm undici's) is re-extracted on each send too.
    (value as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === 'FormData'
  ) {
    return false;
  }
  return (
    typeof (value as { pipe?: unknown }).pipe === 'function' ||
    value instanceof ReadableStream ||
    Symbol.asyncIterator in value ||
    Symbol.iterator in value
  );
}

/**
 * Reads a one-shot body: whole into a Buffer when it is at most `cap` bytes, else stops past the
 * cap and returns a stream of what was read followed by the rest, in order, never truncated.
 */
export async function bufferBody(source: object, cap: number): Promise<BufferedBody> {
  const iterator = chunksOf(source);
  const chunks: Buffer[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await iterator.next();
    if (done) return { kind: 'buffered', body: Buffer.concat(chunks, size) };
    const chunk = toBuffer(value);
    chunks.push(chunk);
    size += chunk.byteLength;
    if (size > cap) {
      const body = Readable.from(replay(chunks, iterator));
      return {
        kind: 'once',
        body,
        discard() {
          // A replay never started has not taken the source over: release the source itself.
          if (!body.readableDidRead) void Promise.resolve(iterator.return?.()).catch(() => {});
          body.destroy();
        },
      };
    }
  }
}

async function* replay(chunks: Buffer[], iterator: AsyncIterator<unknown>): AsyncGenerator<Buffer> {
  let finished = false;
  try {
    yield* chunks;
    for (;;) {
      const { done, value } = await iterator.next();
      if (done) {
        finished = true;
        return;
      }
      yield toBuffer(value);
    }
  } finally {
    // Destroyed early (request aborted): release the source too.
    if (!finished) await iterator.return?.();
  }
}

function chunksOf(source: object): AsyncIterator<unknown> {
  if (Symbol.asyncIterator in source) return (source as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  if (typeof (source as { pipe?: unknown }).pipe === 'function') {
    // An old-style stream without async iteration (the `form-data` package's CombinedStream).
    return new Readable().wrap(source as NodeJS.ReadableStream)[Symbol.asyncIterator]();
  }
  if (Symbol.iterator in source) {
    const sync = (source as Iterable<unknown>)[Symbol.iterator]();
    return {
      next: async () => sync.next(),
      return: async () => sync.return?.() ?? { done: true, value: undefined },
    };
  }
  throw new TypeError('the request body is not a stream or an iterable of chunks');
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk);
  if (ArrayBuffer.isView(chunk)) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer) return Buffer.from(chunk);
  throw new TypeError(`a request body chunk must be a string or bytes, got ${typeof chunk}`);
}

/**
 * Discards a response body we will not hand to the caller (a 401 we answer, a redirect we
 * follow): read to the end when small, so keep-alive can reuse the connection, else destroyed.
 */
export async function discardBody(body: unknown): Promise<void> {
  if (body instanceof ReadableStream) {
    const reader = body.getReader();
    let read = 0;
    try {
      while (read <= MAX_DRAIN) {
        const { done, value } = await reader.read();
        if (done) return;
        read += (value as Uint8Array).byteLength;
      }
      await reader.cancel();
    } catch {
      // A broken body must not hide the response we are about to act on.
    }
    return;
  }
  if (!(body instanceof Readable)) return;
  let read = 0;
  try {
    for await (const chunk of body) {
      read += (chunk as Buffer).byteLength ?? String(chunk).length;
      if (read > MAX_DRAIN) break;
    }
  } catch {
    // A broken body must not hide the response we are about to act on.
  } finally {
    body.destroy();
  }
}
