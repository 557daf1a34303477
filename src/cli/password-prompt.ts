/**
 * Reads a password from the terminal without echoing it.
 *
 * @module
 */
import { CliError, EXIT } from './exit-codes.js';

/**
 * Asks for a password on `stderr` and reads it from `stdin`, which must be a terminal: raw mode,
 * nothing echoed, Backspace edits, Enter ends, Ctrl-C or Ctrl-D gives up. The password never
 * goes through argv (where `ps` and shell history would show it).
 *
 * @throws {CliError} `EXIT.USAGE` when stdin is not a terminal, or the user gave up.
 * @example
 * ```ts
 * const password = await readPassword('Password for alice@EXAMPLE.ORG: ', process.stdin, process.stderr);
 * ```
 */
export function readPassword(
  prompt: string,
  stdin: NodeJS.ReadStream,
  stderr: NodeJS.WritableStream,
): Promise<string> {
  if (!stdin.isTTY) {
    return Promise.reject(
      new CliError(EXIT.USAGE, '--ask-password needs a terminal on stdin', 'use --password-env VAR instead'),
    );
  }
  // Echo goes off before the prompt shows: a password typed (or pasted) the moment the prompt
  // appears must not reach the terminal's echo (the integration test answering at once saw it).
  stdin.setRawMode(true);
  stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let password = '';
    const done = (error: CliError | null) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      stderr.write('\n');
      if (error) reject(error);
      else resolve(password);
    };
    const onData = (chunk: Buffer | string) => {
      for (const char of String(chunk)) {
        if (char === '\r' || char === '\n') return done(null);
        if (char === '\u0003' || char === '\u0004') {
          return done(new CliError(EXIT.USAGE, 'no password given'));
        }
        if (char === '\u007f' || char === '\b') password = password.slice(0, -1);
        else password += char;
      }
    };
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    stdin.resume();
  });
}
