#!/usr/bin/env node
/**
 * The `http-gssapi` command: dispatches to `doctor`, `token`, `proxy`, or the request command
 * (the default), and turns every failure into a message with its fix and an exit code. Only this file
 * touches `process`.
 *
 * @module
 */
import type { CommandIo } from './command-io.js';
import { doctorCommand } from './doctor-command.js';
import { CliError, EXIT, type ExitCode } from './exit-codes.js';
import { proxyCommand } from './proxy-command.js';
import { requestCommand } from './request-command.js';
import { isSubcommand, type SubcommandName } from './subcommands.js';
import { tokenCommand } from './token-command.js';

/**
 * A handler per subcommand of `subcommands.ts` (the list the main help shows), no more, no less:
 * the type makes a missing or an extra one a compile error. Anything else is the request
 * command's.
 */
const COMMANDS: Readonly<
  Record<SubcommandName, (args: readonly string[], io: CommandIo) => Promise<ExitCode>>
> = {
  doctor: doctorCommand,
  token: tokenCommand,
  proxy: (args, io) => proxyCommand(args, io, stopSignal()),
};

/** Aborted by the first SIGINT or SIGTERM: `proxy` runs until then, and stops cleanly. */
function stopSignal(): AbortSignal {
  const stop = new AbortController();
  const onSignal = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    stop.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return stop.signal;
}

/**
 * Runs the command line `args` (without `node` and the script) and returns the exit code.
 * Usage errors and known failures print `http-gssapi: <message>` and `  fix: <hint>` on stderr.
 *
 * @example
 * ```ts
 * process.exitCode = await main(['doctor', 'https://intranet.example.org/'], io);
 * ```
 */
async function main(args: readonly string[], io: CommandIo): Promise<ExitCode> {
  const [first, ...rest] = args;
  const command = isSubcommand(first) ? COMMANDS[first] : undefined;
  try {
    return command ? await command(rest, io) : await requestCommand(args, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr.write(`http-gssapi: ${error.message}\n`);
      if (error.hint) io.stderr.write(`  fix: ${error.hint}\n`);
      return error.exitCode;
    }
    io.stderr.write(`http-gssapi: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
    return EXIT.INTERNAL;
  }
}

// A reader that goes away (`http-gssapi URL | head`) is not an error, as for curl: stop quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

process.exitCode = await main(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
