/**
 * Where the response body goes: stdout as it comes, a file (`-o`, with a progress line on a
 * terminal), or memory for `--json`.
 *
 * @module
 */
import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { progressMeter } from './progress-meter.js';

/** Where to put the body. */
export interface BodyTarget {
  /** `-o FILE`, or null. */
  readonly file: string | null;
  /** Keep the body as text (for `--json`) instead of writing it to stdout. */
  readonly keepText: boolean;
  /** Where the progress line of `-o` goes (a terminal), or null for none. */
  readonly progress: NodeJS.WritableStream | null;
  readonly stdout: NodeJS.WritableStream & { readonly isTTY?: boolean };
}

/** What was written. */
export interface WrittenBody {
  readonly bytes: number;
  /** The body as text when `keepText`, else null. */
  readonly text: string | null;
}

/** Counts the bytes that pass, and keeps the last one. */
class ByteCounter extends Transform {
  bytes = 0;
  last: number | undefined;
  override _transform(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (error: null, chunk: Buffer) => void,
  ) {
    this.bytes += chunk.length;
    if (chunk.length > 0) this.last = chunk[chunk.length - 1];
    callback(null, chunk);
  }
}

/**
 * Writes the response body to its target.
 *
 * @throws whatever the streams throw (a body cut off: a network error; EPIPE: stdout closed).
 * @example
 * ```ts
 * const { bytes } = await writeBody(response, { file: null, keepText: false, progress: null, stdout: process.stdout });
 * ```
 */
export async function writeBody(response: Response, target: BodyTarget): Promise<WrittenBody> {
  const counter = new ByteCounter();
  const source = response.body ? Readable.fromWeb(response.body as never) : Readable.from([]);
  if (target.file !== null) {
    const file = createWriteStream(target.file);
    if (target.progress) {
      const length = Number(response.headers.get('content-length') ?? Number.NaN);
      await pipeline(
        source,
        counter,
        progressMeter(Number.isFinite(length) ? length : null, target.progress),
        file,
      );
    } else {
      await pipeline(source, counter, file);
    }
    return { bytes: counter.bytes, text: null };
  }
  if (target.keepText) {
    const chunks: Buffer[] = [];
    for await (const chunk of source.pipe(counter)) chunks.push(chunk as Buffer);
    return { bytes: counter.bytes, text: Buffer.concat(chunks).toString('utf8') };
  }
  await pipeline(source, counter, target.stdout, { end: false });
  // On a terminal, end a body without a final newline so the prompt (or the trace's last line)
  // starts on a line of its own; a pipe gets the bytes exactly.
  if (target.stdout.isTTY && counter.last !== undefined && counter.last !== 0x0a) target.stdout.write('\n');
  return { bytes: counter.bytes, text: null };
}
