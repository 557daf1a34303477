/**
 * The progress line of `-o FILE` on a terminal: bytes received, of how many, how fast.
 *
 * @module
 */
import { Transform } from 'node:stream';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/**
 * A size for people: `999 B`, `1.5 KiB`, `12.0 MiB`.
 *
 * @example
 * ```ts
 * formatBytes(1536); // '1.5 KiB'
 * ```
 */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/**
 * The progress line for `received` of `total` bytes (null: unknown) after `seconds`.
 *
 * @example
 * ```ts
 * progressLine(512, 1024, 1); // '[##########----------]  50%  512 B / 1.0 KiB  512 B/s'
 * ```
 */
export function progressLine(received: number, total: number | null, seconds: number): string {
  const rate = seconds > 0 ? `  ${formatBytes(Math.round(received / seconds))}/s` : '';
  if (total === null || total <= 0) return `${formatBytes(received)}${rate}`;
  const fraction = Math.min(1, received / total);
  const filled = Math.round(fraction * 20);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(20 - filled)}]`;
  return `${bar} ${String(Math.round(fraction * 100)).padStart(3)}%  ${formatBytes(received)} / ${formatBytes(total)}${rate}`;
}

/**
 * A pass-through stream that redraws the progress line on `out` (a terminal) at most every
 * 100 ms, and once more at the end.
 *
 * @example
 * ```ts
 * await pipeline(Readable.fromWeb(res.body), progressMeter(length, process.stderr), createWriteStream(file));
 * ```
 */
export function progressMeter(total: number | null, out: NodeJS.WritableStream): Transform {
  const started = Date.now();
  let received = 0;
  let drawn = 0;
  const draw = () => out.write(`\r${progressLine(received, total, (Date.now() - started) / 1000)}\x1b[K`);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      if (Date.now() - drawn >= 100) {
        drawn = Date.now();
        draw();
      }
      callback(null, chunk);
    },
    flush(callback) {
      draw();
      out.write('\n');
      callback();
    },
  });
}
