/**
 * `http-gssapi token SPN`: the first token a client would send to that service, for debugging a
 * server (feed it to the server's logs or to `curl -H "Authorization: Negotiate ..."`). Shown
 * redacted unless `--reveal`: a token is a replayable credential for its service until it
 * expires (RFC 4559 section 6).
 *
 * @module
 */

import { contextFlagNames } from '../core/context-flag-names.js';
import { CredentialSource } from '../core/credential-source.js';
import { negotiableMechsFor } from '../core/mechanism-policy.js';
import { gssapiContextFactory, requestFlags } from '../core/negotiate-context.js';
import { DISABLED, resolveOptions } from '../core/options.js';
import { redactToken } from '../core/redact.js';
import { describeOid } from '../gssapi/oid.js';
import { authFlagsNamed, authOptionsFromFlags, CREDENTIAL_FLAG_NAMES } from './auth-flags.js';
import type { CommandIo } from './command-io.js';
import { CliError, EXIT, EXIT_CODES_HELP, type ExitCode } from './exit-codes.js';
import { booleanFlag, type FlagSpec, HELP_FLAG } from './flag-spec.js';
import { type HelpPage, renderHelp } from './help-text.js';
import { parseCommandLine } from './parse-arguments.js';
import { spnName } from './spn-name.js';

/** The HTTPSPNEGOAuth flags that matter for one token. */
const TOKEN_AUTH_FLAGS = authFlagsNamed([
  'mutual',
  'delegate',
  'delegate-policy',
  'mech',
  ...CREDENTIAL_FLAG_NAMES,
]);

// biome-ignore format: a table, one flag per line
const TOKEN_ONLY_FLAGS: readonly FlagSpec[] = [
  { name: 'reveal', type: 'boolean', help: 'print the whole token (base64) on stdout; it is a credential: do not paste it anywhere public' },
  { name: 'json', type: 'boolean', help: 'print one JSON object (token redacted unless --reveal)' },
];

/** Every flag of `http-gssapi token`. */
export const TOKEN_FLAGS: readonly FlagSpec[] = [...TOKEN_ONLY_FLAGS, ...TOKEN_AUTH_FLAGS, HELP_FLAG];

const TOKEN_HELP: HelpPage = {
  usage: 'http-gssapi token [options] SPN',
  description:
    "Makes the first Negotiate token for the service SPN ('HTTP@host', or 'HTTP/host@REALM') with your\n" +
    'credentials and prints it redacted, with its size, mechanism and flags. Exit 5 when no token can\n' +
    'be made, with the reason and the fix.',
  groups: [
    { title: 'Token', flags: TOKEN_ONLY_FLAGS },
    { title: 'Authentication', flags: TOKEN_AUTH_FLAGS },
    { title: 'Other', flags: [HELP_FLAG] },
  ],
  footer: `Examples:\n  http-gssapi token HTTP@intranet.example.org\n  curl -H "Authorization: Negotiate $(http-gssapi token --reveal HTTP@web.example.org)" https://web.example.org/\n\n${EXIT_CODES_HELP}`,
};

/**
 * Runs `http-gssapi token` and returns its exit code.
 *
 * @throws {CliError} usage errors (exit 2); no token (exit 5, with the GSSAPI code and fix).
 * @example
 * ```ts
 * process.exitCode = await tokenCommand(['HTTP@web.example.org'], io);
 * ```
 */
export async function tokenCommand(args: readonly string[], io: CommandIo): Promise<ExitCode> {
  const { values, positionals } = parseCommandLine(args, TOKEN_FLAGS, { max: 1 });
  if (booleanFlag(values, 'help')) {
    io.stdout.write(renderHelp(TOKEN_HELP));
    return EXIT.OK;
  }
  const spn = positionals[0];
  if (spn === undefined) throw new CliError(EXIT.USAGE, 'an SPN is required', 'http-gssapi token HTTP@host');
  const name = spnName(spn);
  const options = resolveOptions(await authOptionsFromFlags(values, io));
  const source = new CredentialSource(options.creds, negotiableMechsFor(options));
  const flags = requestFlags(options.mutualAuthentication !== DISABLED, options.delegate);
  let context: ReturnType<typeof gssapiContextFactory> | null = null;
  try {
    let token: Uint8Array | null;
    try {
      context = gssapiContextFactory({
        target: name,
        flags,
        mech: options.mech,
        creds: await source.get(),
        negotiableMechs: negotiableMechsFor(options),
      });
      token = await context.step(null);
    } catch (error) {
      const e = error as { message?: string; hint?: string; code?: string };
      throw new CliError(EXIT.AUTH_FAILED, `no token for ${spn}: ${e.message ?? String(error)}`, e.hint, {
        cause: error,
      });
    }
    if (!token || token.length === 0)
      throw new CliError(EXIT.AUTH_FAILED, `the mechanism made no token for ${spn}`);
    const base64 = Buffer.from(token).toString('base64');
    const reveal = booleanFlag(values, 'reveal');
    const facts = {
      spn,
      mech: describeOid(context.mech ?? options.mech),
      tokenSize: token.length,
      token: reveal ? base64 : redactToken(base64),
      flagsRequested: contextFlagNames(flags),
      flagsGranted: contextFlagNames(context.actualFlags ?? 0),
      complete: context.complete,
    };
    if (booleanFlag(values, 'json')) {
      io.stdout.write(`${JSON.stringify(facts, null, 2)}\n`);
    } else if (reveal) {
      // stdout carries the token alone, for $(...) and pipes; the description goes to stderr.
      io.stdout.write(`${base64}\n`);
      io.stderr.write(`${describe(facts)}\n`);
    } else {
      io.stdout.write(`Negotiate ${facts.token}\n${describe(facts)}\n`);
    }
    return EXIT.OK;
  } finally {
    context?.dispose();
    name.dispose();
    source.dispose();
  }
}

function describe(facts: {
  spn: string;
  mech: string;
  tokenSize: number;
  flagsRequested: string[];
  flagsGranted: string[];
}): string {
  return `token for ${facts.spn}: ${facts.tokenSize} bytes, mechanism ${facts.mech}; flags asked: ${facts.flagsRequested.join(', ') || 'none'}; granted so far: ${facts.flagsGranted.join(', ') || 'none'}`;
}
