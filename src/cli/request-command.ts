/**
 * `http-gssapi [options] URL`: one HTTP request through the library's own `createFetch`, with
 * Negotiate done by the library (the command re-implements none of it), a `-v` trace of each leg
 * from its diagnostics events, `--json`, `-i`, `-o` with progress, and an exit code per class
 * of outcome.
 *
 * @module
 */
import { createFetch } from '../adapters/fetch.js';
import type { HTTPSPNEGOAuth } from '../core/http-spnego-auth.js';
import { describeOid } from '../gssapi/oid.js';
import { AUTH_FLAGS, authFromFlags } from './auth-flags.js';
import type { CommandIo } from './command-io.js';
import { CliError, EXIT, EXIT_CODES_HELP, type ExitCode } from './exit-codes.js';
import { booleanFlag, type FlagSpec, HELP_FLAG, stringFlag, stringFlags } from './flag-spec.js';
import { type HelpPage, renderHelp } from './help-text.js';
import { packageVersion } from './package-version.js';
import { parseCommandLine } from './parse-arguments.js';
import { readRequestBody } from './request-body.js';
import { classifyError, classifyResponse, type RequestOutcome } from './request-outcome.js';
import { buildReport, shownEntry } from './request-report.js';
import { requestHeaders, requestMethod, requestUrl } from './request-values.js';
import { type WrittenBody, writeBody } from './response-body-output.js';
import { subcommandsHelp } from './subcommands.js';
import { shownHeaders, TraceRecorder } from './trace-recorder.js';
import { renderTrace } from './trace-render.js';

// biome-ignore format: a table, one flag per line
/** The flags of the request itself (what to send, what to show). */
export const REQUEST_ONLY_FLAGS: readonly FlagSpec[] = [
  { name: 'request', short: 'X', type: 'string', value: 'METHOD', help: 'HTTP method (default GET, or POST with -d)' },
  { name: 'header', short: 'H', type: 'string', multiple: true, value: "'NAME: VALUE'", help: 'add a request header (repeatable)' },
  { name: 'data', short: 'd', type: 'string', value: 'DATA', help: 'request body: text, @FILE, or @- for stdin' },
  { name: 'output', short: 'o', type: 'string', value: 'FILE', help: 'write the body to FILE (progress shown on a terminal)' },
  { name: 'include', short: 'i', type: 'boolean', help: 'print the response status line and headers before the body' },
  { name: 'verbose', short: 'v', type: 'boolean', help: 'trace each leg on stderr: challenge, SPN, mechanism, flags, token sizes, mutual result, timings' },
  { name: 'json', type: 'boolean', help: 'print one JSON object with the result and the trace instead of the body' },
  { name: 'silent', short: 's', type: 'boolean', help: 'no progress line and no error message (exit code only)' },
  { name: 'no-follow', type: 'boolean', help: 'do not follow redirects' },
  { name: 'max-time', type: 'string', value: 'SECONDS', help: 'give up after SECONDS (network error, exit 3)' },
  { name: 'proxy', short: 'x', type: 'string', value: 'URL|env', help: "send through this proxy, answering its Negotiate 407s; 'env' reads HTTP(S)_PROXY/NO_PROXY (needs undici)" },
  { name: 'version', type: 'boolean', help: 'print the version and exit' },
];

/** Every flag `http-gssapi URL` takes. */
export const REQUEST_FLAGS: readonly FlagSpec[] = [...REQUEST_ONLY_FLAGS, ...AUTH_FLAGS, HELP_FLAG];

/** The main help page (the request command is the default command). */
export const REQUEST_HELP: HelpPage = {
  usage: 'http-gssapi [options] URL\n       http-gssapi COMMAND [options] ...',
  description:
    'Sends one HTTP request with Kerberos (HTTP Negotiate, SPNEGO over GSSAPI) and prints the body.\n' +
    'Uses your kinit ticket by default.\n\n' +
    `Commands:\n${subcommandsHelp()}`,
  groups: [
    { title: 'Request', flags: REQUEST_ONLY_FLAGS },
    { title: 'Authentication (HTTPSPNEGOAuth options)', flags: AUTH_FLAGS },
    { title: 'Other', flags: [HELP_FLAG] },
  ],
  footer: `Passwords are never taken from the command line: use --password-env VAR or --ask-password.\n\nExamples:\n  http-gssapi -v https://intranet.example.org/api\n  http-gssapi --mutual required --json https://intranet.example.org/api\n  http-gssapi -X POST -H 'Content-Type: application/json' -d @body.json https://intranet.example.org/\n\n${EXIT_CODES_HELP}`,
};

const usage = (message: string, hint?: string) => new CliError(EXIT.USAGE, message, hint);

function maxTime(text: string | undefined): AbortSignal | undefined {
  if (text === undefined) return undefined;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw usage(`--max-time must be a positive number of seconds, got '${text}'`);
  return AbortSignal.timeout(Math.round(seconds * 1000));
}

function rethrow(error: unknown): never {
  throw error;
}

/**
 * Runs `http-gssapi [options] URL` and returns its exit code.
 *
 * @throws {CliError} for usage errors (exit 2), before anything is sent.
 * @example
 * ```ts
 * process.exitCode = await requestCommand(['-v', 'https://intranet.example.org/'], io);
 * ```
 */
export async function requestCommand(args: readonly string[], io: CommandIo): Promise<ExitCode> {
  const { values, positionals } = parseCommandLine(args, REQUEST_FLAGS, { max: 1 });
  if (booleanFlag(values, 'help')) {
    io.stdout.write(renderHelp(REQUEST_HELP));
    return EXIT.OK;
  }
  if (booleanFlag(values, 'version')) {
    io.stdout.write(`http-gssapi ${packageVersion()}\n`);
    return EXIT.OK;
  }
  const url = requestUrl(positionals[0]);
  const headers = requestHeaders(stringFlags(values, 'header'));
  const methodFlag = stringFlag(values, 'request');
  // Checked before a body is read from stdin: a refused method sends nothing and reads nothing.
  if (methodFlag !== undefined) requestMethod(methodFlag);
  const data = stringFlag(values, 'data');
  const body = data === undefined ? null : await readRequestBody(data, io.stdin);
  if (body && !headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded');
  const method = requestMethod(methodFlag ?? (body ? 'POST' : 'GET'));
  const signal = maxTime(stringFlag(values, 'max-time'));
  const json = booleanFlag(values, 'json');
  const verbose = booleanFlag(values, 'verbose');
  const silent = booleanFlag(values, 'silent');
  const output = stringFlag(values, 'output') ?? null;

  const proxy = stringFlag(values, 'proxy');
  const auth = await authFromFlags(values, io);
  const trace = (line: string) => io.stderr.write(`${line}\n`);
  const recorder = new TraceRecorder(
    verbose ? (entry) => renderTrace([shownEntry(entry)]).forEach(trace) : undefined,
  );
  if (verbose) {
    const o = auth.options;
    trace(
      `* http-gssapi ${packageVersion()}: ${method} ${url.href}; mutual ${o.mutualAuthentication}, delegate ${String(o.delegate)}, opportunistic ${o.opportunisticAuth}, mechanism ${describeOid(o.mech)}, credentials ${credentialsText(o.creds)}`,
    );
  }
  const fetch =
    proxy === undefined
      ? createFetch(auth, recorder.wrap(globalThis.fetch))
      : await proxiedFetch(auth, proxy, recorder);
  recorder.start();
  let response: Response | null = null;
  let outcome: RequestOutcome;
  let written: WrittenBody = { bytes: 0, text: null };
  try {
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(body ? { body } : {}),
        redirect: booleanFlag(values, 'no-follow') ? 'manual' : 'follow',
        ...(signal ? { signal } : {}),
      });
      outcome = classifyResponse(response, recorder, auth.options.mutualAuthentication);
    } catch (error) {
      outcome = classifyError(error, answered(recorder)) ?? rethrow(error);
    }
    if (response) {
      if (booleanFlag(values, 'include') && !json) {
        io.stdout.write(`HTTP/1.1 ${response.status} ${response.statusText}\r\n`);
        for (const [name, value] of shownHeaders(response.headers)) io.stdout.write(`${name}: ${value}\r\n`);
        io.stdout.write('\r\n');
      }
      try {
        written = await writeBody(response, {
          file: output,
          keepText: json,
          progress: io.stderr.isTTY && !silent && !json ? io.stderr : null,
          stdout: io.stdout,
        });
      } catch (error) {
        // The reader of stdout went away (`| head`): what it wanted it got.
        if ((error as NodeJS.ErrnoException).code === 'EPIPE' && output === null) return EXIT.OK;
        // A body cut off by the network is a network error; a file that cannot be written is not.
        outcome = (output === null ? classifyError(error, true) : null) ?? rethrow(error);
      }
    }
    if (json) {
      const report = buildReport(
        {
          url: url.href,
          method,
          response,
          headers: response ? shownHeaders(response.headers) : [],
          outcome,
          body: written.text,
          bodyBytes: written.bytes,
          output,
        },
        recorder,
      );
      io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    }
  } finally {
    recorder.stop();
    auth.dispose();
  }
  const final = outcome;
  if (verbose) {
    trace(
      `* result: ${response ? `${response.status} ${response.statusText}, ${written.bytes} bytes, ` : ''}${final.kind}, exit ${final.exitCode}, ${recorder.events('token').length} token(s) sent, ${recorder.elapsed()} ms in all`,
    );
  }
  if (final.error && !silent && !json) {
    io.stderr.write(`http-gssapi: ${final.error.message}\n`);
    if (final.error.hint) io.stderr.write(`  fix: ${final.error.hint}\n`);
  }
  return final.exitCode;
}

/** Whether a response came before the failure: a refused value was then the server's doing. */
const answered = (recorder: TraceRecorder) => recorder.entries.some((entry) => entry.kind === 'response');

function credentialsText(creds: unknown): string {
  if (creds === null || creds === undefined) return 'default ccache';
  const c = creds as { principal?: string; keytab?: string; ccache?: string; password?: string };
  const parts = [
    c.principal && `principal ${c.principal}`,
    c.keytab && `keytab ${c.keytab}`,
    c.ccache && `ccache ${c.ccache}`,
    c.password !== undefined && 'password (not shown)',
  ].filter(Boolean);
  return parts.join(', ') || 'default ccache';
}

/** createFetch through `--proxy`; a proxy setting the library refuses is a usage error. */
async function proxiedFetch(auth: HTTPSPNEGOAuth, proxy: string, recorder: TraceRecorder) {
  const base = recorder.wrap(await undiciFetch());
  try {
    return createFetch(auth, { proxy, fetch: base });
  } catch (error) {
    if (error instanceof TypeError) throw new CliError(EXIT.USAGE, `--proxy: ${error.message}`);
    throw error;
  }
}

/**
 * undici's own fetch, for `--proxy`: the proxy route is an undici dispatcher, which Node's
 * bundled fetch (another undici version) may not take. undici is an optional peer dependency.
 */
async function undiciFetch(): Promise<typeof globalThis.fetch> {
  try {
    return (await import('undici')).fetch as unknown as typeof globalThis.fetch;
  } catch (error) {
    throw new CliError(
      EXIT.USAGE,
      '--proxy needs the undici package',
      'npm install undici (next to http-gssapi)',
      {
        cause: error,
      },
    );
  }
}
