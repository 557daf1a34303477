/**
 * Python clients, run by Debian's /usr/bin/python3 (the one that sees Debian's modules):
 * requests with requests-kerberos (Debian python3-requests-kerberos), and httpx with
 * httpx-gssapi (Debian python3-httpx and python3-gssapi; httpx-gssapi itself from a source
 * checkout named by HTTPX_GSSAPI_PATH). See bench/python/.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { repoFile } from '../lib/paths.js';
import { runProgram } from '../lib/processes.js';
import type { SessionsResult, ThroughputResult } from '../workers/node-client.js';
import type {
  ExternalClient,
  ExternalSessionsClient,
  ExternalSessionsInput,
  ExternalThroughputInput,
} from './types.js';

const PYTHON = '/usr/bin/python3';
const INSTALL_HINT = 'run scripts/install-bench-deps.sh';

/**
 * A directory holding the `httpx_gssapi` package (a checkout of its source): not packaged by
 * Debian, so the bench takes it from here, added to PYTHONPATH of the client process only.
 */
export const HTTPX_GSSAPI_PATH_VARIABLE = 'HTTPX_GSSAPI_PATH';

/** Runs a bench/python script (-B: no __pycache__ beside it in the tree); parses its JSON. */
async function runScript<T>(
  script: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  label: string,
): Promise<T> {
  const r = await runProgram(PYTHON, ['-B', repoFile(`bench/python/${script}`), ...args], { env });
  if (r.code !== 0) throw new Error(`${label} client failed (exit ${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Null when `python3 -c <code>` succeeds, else the last line it printed to stderr. */
async function pythonFails(code: string, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const r = await runProgram(PYTHON, ['-B', '-c', code], { env });
  if (r.code === 0) return null;
  return r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`;
}

function requestsKerberos(preemptive: boolean): ExternalClient & ExternalSessionsClient {
  const label = preemptive ? 'requests-kerberos (force_preemptive)' : 'requests-kerberos';
  const flags = preemptive ? ['--preemptive'] : [];
  return {
    name: preemptive ? 'requests-kerberos-preemptive' : 'requests-kerberos',
    label,
    async unavailable() {
      try {
        return (await pythonFails('import requests_kerberos')) === null
          ? null
          : `python3-requests-kerberos is not installed; ${INSTALL_HINT}`;
      } catch {
        return `${PYTHON} not found; ${INSTALL_HINT}`;
      }
    },
    throughput: (input: ExternalThroughputInput) =>
      runScript<ThroughputResult>(
        'requests_kerberos_client.py',
        [
          `--base=${input.authBase}`,
          `--prefix=${input.prefix}`,
          `--warmup=${input.warmup}`,
          `--sequential=${input.sequential}`,
          `--concurrent=${input.concurrent}`,
          `--in-flight=${input.inFlight}`,
          ...flags,
        ],
        input.env,
        label,
      ),
    sessions: (input: ExternalSessionsInput) =>
      runScript<SessionsResult>(
        'requests_kerberos_client.py',
        [
          '--mode=sessions',
          `--base=${input.authBase}`,
          `--prefix=${input.prefix}`,
          `--warmup=${input.warmup}`,
          `--sequential=${input.requests}`,
          `--sessions=${input.sessions}`,
          ...flags,
        ],
        input.env,
        label,
      ),
  };
}

export const requestsKerberosClient = requestsKerberos(false);
export const requestsKerberosPreemptive = requestsKerberos(true);

/** `env` with the httpx-gssapi checkout in front of PYTHONPATH (when the variable is set). */
function withHttpxGssapi(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const path = process.env[HTTPX_GSSAPI_PATH_VARIABLE];
  if (!path) return env;
  return { ...env, PYTHONPATH: [path, env['PYTHONPATH']].filter(Boolean).join(delimiter) };
}

/** `httpx.Client(auth=HTTPSPNEGOAuth(mutual_authentication=DISABLED))`: sessions section only. */
export const httpxGssapiClient: ExternalSessionsClient = {
  name: 'httpx-gssapi',
  label: 'httpx-gssapi',
  async unavailable() {
    const path = process.env[HTTPX_GSSAPI_PATH_VARIABLE];
    if (!path) {
      return (
        `${HTTPX_GSSAPI_PATH_VARIABLE} is not set (a directory holding the httpx_gssapi package, ` +
        'checked out from its source: not packaged by Debian; see docs/benchmarks.md)'
      );
    }
    if (!existsSync(join(path, 'httpx_gssapi', '__init__.py'))) {
      return `${HTTPX_GSSAPI_PATH_VARIABLE}=${path} holds no httpx_gssapi/__init__.py`;
    }
    try {
      for (const [module, pkg] of [
        ['httpx', 'python3-httpx'],
        ['gssapi', 'python3-gssapi'],
      ] as const) {
        if ((await pythonFails(`import ${module}`)) !== null)
          return `${pkg} is not installed; ${INSTALL_HINT}`;
      }
      const failure = await pythonFails('import httpx_gssapi', withHttpxGssapi(process.env));
      return failure === null ? null : `import httpx_gssapi from ${path} failed: ${failure}`;
    } catch {
      return `${PYTHON} not found; ${INSTALL_HINT}`;
    }
  },
  sessions: (input: ExternalSessionsInput) =>
    runScript<SessionsResult>(
      'httpx_gssapi_client.py',
      [
        `--base=${input.authBase}`,
        `--prefix=${input.prefix}`,
        `--warmup=${input.warmup}`,
        `--sequential=${input.requests}`,
        `--sessions=${input.sessions}`,
      ],
      withHttpxGssapi(input.env),
      'httpx-gssapi',
    ),
};
