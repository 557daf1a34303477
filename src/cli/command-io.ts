/**
 * What a command reads and writes, passed in so tests can run a command in-process and `main.ts`
 * alone touches `process`.
 *
 * @module
 */

/**
 * The streams and environment of one command run.
 *
 * @example
 * ```ts
 * const io: CommandIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
 * ```
 */
export interface CommandIo {
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: NodeJS.WritableStream & { readonly isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { readonly isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
}
