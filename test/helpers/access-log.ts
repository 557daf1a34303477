/**
 * Reading a server's access log from the tests, without racing the server that writes it.
 *
 * @module
 */
import { open, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Options of {@link AccessLogReader.read}.
 *
 * @example
 * ```ts
 * const entries = await server.accessLog({ minEntries: 2 });
 * ```
 */
export interface AccessLogReadOptions {
  /** Wait (bounded by `timeoutMs`) until at least this many entries are there; default 0. */
  minEntries?: number;
  /** Bound on that wait; default 5000 ms. Past it, what is there is returned. */
  timeoutMs?: number;
}

// Apache and squid write a request's log line after the response has gone out, so a client
// that reads the log right after its response can be a few microseconds early. The reader
// therefore returns only once the file has stopped growing for this long.
const SETTLE_MS = 30;

/** Parses the lines a server appends to one log file, from a movable starting point. */
export class AccessLogReader<Entry> {
  readonly path: string;
  readonly #parse: (line: string) => Entry;
  #offset = 0;

  constructor(path: string, parse: (line: string) => Entry) {
    this.path = path;
    this.#parse = parse;
  }

  /** Entries from now on only: earlier lines (readiness probes, other tests) are skipped. */
  async mark(): Promise<void> {
    this.#offset = await size(this.path);
  }

  /** The entries written since the last {@link AccessLogReader.mark}, oldest first. */
  async read(options: AccessLogReadOptions = {}): Promise<Entry[]> {
    const { minEntries = 0, timeoutMs = 5000 } = options;
    if (!Number.isInteger(minEntries) || minEntries < 0) {
      throw new TypeError(`minEntries must be an integer >= 0, got ${String(minEntries)}`);
    }
    const deadline = performance.now() + timeoutMs;
    let text = await this.#readText();
    for (;;) {
      await sleep(SETTLE_MS);
      const again = await this.#readText();
      const settled = again.length === text.length;
      text = again;
      if (settled && (countLines(text) >= minEntries || performance.now() > deadline)) break;
    }
    return text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => this.#parse(line));
  }

  async #readText(): Promise<string> {
    let file: Awaited<ReturnType<typeof open>>;
    try {
      file = await open(this.path, 'r');
    } catch {
      return '';
    }
    try {
      const { size: end } = await file.stat();
      const length = Math.max(0, end - this.#offset);
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await file.read(buffer, 0, length, this.#offset);
      const text = buffer.subarray(0, bytesRead).toString('utf8');
      // A line still being written has no newline yet: leave it for the next read.
      return text.slice(0, text.lastIndexOf('\n') + 1);
    } finally {
      await file.close();
    }
  }
}

async function size(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

function countLines(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++;
  return count;
}
