/**
 * The request body from `-d`: inline text, `@file`, or `@-` for stdin (as curl reads them).
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { buffer } from 'node:stream/consumers';
import { CliError, EXIT } from './exit-codes.js';

/**
 * Reads the body `-d` names. The bytes are kept as they are (no newline stripping, unlike
 * curl's `-d @file`): what the file holds is what is sent, and a buffered body can be resent
 * after a 401.
 *
 * @throws {CliError} `EXIT.USAGE` when the file cannot be read.
 * @example
 * ```ts
 * await readRequestBody('@payload.json', process.stdin); // the file's bytes
 * await readRequestBody('a=1&b=2', process.stdin);        // the text
 * ```
 */
export async function readRequestBody(data: string, stdin: NodeJS.ReadableStream): Promise<Uint8Array> {
  if (data === '@-') return buffer(stdin);
  if (data.startsWith('@')) {
    const path = data.slice(1);
    try {
      return await readFile(path);
    } catch (error) {
      throw new CliError(
        EXIT.USAGE,
        `-d @${path}: ${(error as Error).message}`,
        'give a readable file, @- for stdin',
      );
    }
  }
  return new TextEncoder().encode(data);
}
