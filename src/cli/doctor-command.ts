/**
 * `http-gssapi doctor [URL]`: why Kerberos does or does not work here, check by check, each
 * failure with its fix. Without a URL (or with `--offline`) only what needs no network is
 * checked: the GSSAPI library, krb5.conf, the credential cache, the proxy environment.
 *
 * @module
 */
import { resolveOptions } from '../core/options.js';
import { Credentials } from '../gssapi/credentials.js';
import { authFlagsNamed, authOptionsFromFlags, CREDENTIAL_FLAG_NAMES } from './auth-flags.js';
import type { CommandIo } from './command-io.js';
import type { Finding } from './doctor-finding.js';
import { checkConfig, checkCredentials, checkLibrary, checkProxy } from './doctor-local-checks.js';
import { renderFindings } from './doctor-render.js';
import { checkDns, checkServer, checkServiceTicket } from './doctor-service-checks.js';
import { CliError, EXIT, EXIT_CODES_HELP, type ExitCode } from './exit-codes.js';
import { booleanFlag, type FlagSpec, HELP_FLAG } from './flag-spec.js';
import { type HelpPage, renderHelp } from './help-text.js';
import { readKrb5Profile } from './krb5-profile.js';
import { parseCommandLine } from './parse-arguments.js';

const DOCTOR_AUTH_FLAGS = authFlagsNamed([
  'target-name',
  'mech',
  'delegate',
  'delegate-policy',
  ...CREDENTIAL_FLAG_NAMES,
]);

// biome-ignore format: a table, one flag per line
const DOCTOR_ONLY_FLAGS: readonly FlagSpec[] = [
  { name: 'json', type: 'boolean', help: 'print the findings as one JSON object' },
  { name: 'offline', type: 'boolean', help: 'skip the checks that use the network (DNS, server, KDC)' },
];

/** Every flag of `http-gssapi doctor`. */
export const DOCTOR_FLAGS: readonly FlagSpec[] = [...DOCTOR_ONLY_FLAGS, ...DOCTOR_AUTH_FLAGS, HELP_FLAG];

const DOCTOR_HELP: HelpPage = {
  usage: 'http-gssapi doctor [options] [URL]',
  description:
    'Checks, one by one: the GSSAPI library and its release, the krb5.conf in use, the credential\n' +
    'cache (type, name, principal, expiry), the proxy environment; with a URL also what DNS does to\n' +
    'the SPN, what the server asks for (and its clock), and whether a ticket for the SPN can be\n' +
    'obtained (KDC reachable? principal known? clock skew? encryption types?). Every problem comes\n' +
    'with its fix. Exit 7 when a problem is found.',
  groups: [
    { title: 'Doctor', flags: DOCTOR_ONLY_FLAGS },
    { title: 'Authentication (as the request would use it)', flags: DOCTOR_AUTH_FLAGS },
    { title: 'Other', flags: [HELP_FLAG] },
  ],
  footer: `Examples:\n  http-gssapi doctor\n  http-gssapi doctor https://intranet.example.org/\n\n${EXIT_CODES_HELP}`,
};

/**
 * Runs `http-gssapi doctor` and returns its exit code: 0 when no check found a problem, 7
 * otherwise.
 *
 * @example
 * ```ts
 * process.exitCode = await doctorCommand(['https://intranet.example.org/'], io);
 * ```
 */
export async function doctorCommand(args: readonly string[], io: CommandIo): Promise<ExitCode> {
  const { values, positionals } = parseCommandLine(args, DOCTOR_FLAGS, { max: 1 });
  if (booleanFlag(values, 'help')) {
    io.stdout.write(renderHelp(DOCTOR_HELP));
    return EXIT.OK;
  }
  const url = positionals[0] === undefined ? null : parseUrl(positionals[0]);
  const options = resolveOptions(await authOptionsFromFlags(values, io));
  // Flags give a description (or nothing), never a Credentials object.
  const creds = options.creds instanceof Credentials ? null : options.creds;
  const profile = readKrb5Profile(io.env);
  const offline = booleanFlag(values, 'offline');

  const findings: Finding[] = [];
  const library = checkLibrary();
  findings.push(library, checkConfig(profile));
  const credentials = library.status === 'problem' ? null : await checkCredentials(creds, profile, io.env);
  if (credentials) findings.push(credentials.finding);
  findings.push(checkProxy(url, io.env));
  if (url) {
    if (offline) {
      findings.push({
        check: 'URL',
        status: 'skipped',
        summary: `${url.href}: network checks skipped (--offline)`,
      });
    } else {
      findings.push(await checkDns(url, profile), await checkServer(url));
      if (library.status === 'problem' || !credentials?.usable) {
        findings.push({
          check: 'service ticket',
          status: 'skipped',
          summary: 'no usable credentials (see above)',
        });
      } else {
        findings.push(await checkServiceTicket(url, options, profile));
      }
    }
  }
  const problem = findings.some((f) => f.status === 'problem');
  if (booleanFlag(values, 'json')) {
    io.stdout.write(
      `${JSON.stringify({ url: url?.href ?? null, problems: findings.filter((f) => f.status === 'problem').length, findings }, null, 2)}\n`,
    );
  } else {
    io.stdout.write(renderFindings(findings));
  }
  return problem ? EXIT.DOCTOR_PROBLEM : EXIT.OK;
}

function parseUrl(text: string): URL {
  try {
    const url = new URL(text);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url;
  } catch {
    // Reported below.
  }
  throw new CliError(EXIT.USAGE, `not an http(s) URL: ${text}`, 'http-gssapi doctor https://host/');
}
