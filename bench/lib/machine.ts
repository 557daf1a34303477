/**
 * What the benchmark ran on, recorded with every result: a ratio means little without it.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { HTTPX_GSSAPI_PATH_VARIABLE } from '../external/python.js';
import { REPO_ROOT } from './paths.js';
import { runProgram } from './processes.js';

export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGB: number;
  readonly os: string;
  readonly kernel: string;
  readonly node: string;
  readonly mitKrb5: string;
  readonly curl: string;
  readonly python: string;
  readonly requestsKerberos: string;
  /** httpx, python-gssapi and httpx-gssapi (from HTTPX_GSSAPI_PATH), or why they are missing. */
  readonly httpxGssapi: string;
  readonly packages: Record<string, string>;
  /** 1-minute load average when the run started; the machine may be shared. */
  readonly loadAtStart: number;
}

async function firstLine(command: string, args: readonly string[]): Promise<string> {
  try {
    const r = await runProgram(command, args);
    return (r.stdout || r.stderr).split('\n')[0]!.trim() || 'unknown';
  } catch {
    return 'not installed';
  }
}

const HTTPX_VERSIONS = `import importlib.metadata as m, httpx
line = f"httpx {httpx.__version__}, python-gssapi {m.version('gssapi')}"
try:
    import httpx_gssapi._version as v
    g = v.get_versions()
    line += f", httpx-gssapi {g['version']} ({(g.get('full-revisionid') or '?')[:7]})"
except ImportError:
    line += ", httpx-gssapi not found"
print(line)`;

async function httpxGssapiVersions(): Promise<string> {
  const path = process.env[HTTPX_GSSAPI_PATH_VARIABLE];
  const env = path ? { ...process.env, PYTHONPATH: path } : process.env;
  try {
    const r = await runProgram('/usr/bin/python3', ['-B', '-c', HTTPX_VERSIONS], { env });
    return r.code === 0 ? r.stdout.trim() : 'httpx-gssapi: python3-httpx or python3-gssapi missing';
  } catch {
    return 'httpx-gssapi: no python3';
  }
}

function osName(): string {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text)?.[1] ?? 'unknown';
  } catch {
    return process.platform;
  }
}

export async function describeMachine(): Promise<MachineInfo> {
  const packages: Record<string, string> = {};
  for (const name of ['koffi', 'undici', 'axios', 'got', 'ky']) {
    try {
      // Read directly: some packages' exports maps do not expose package.json.
      const file = join(REPO_ROOT, 'node_modules', name, 'package.json');
      packages[name] = (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    } catch {
      packages[name] = 'not installed';
    }
  }
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGB: Math.round(totalmem() / 2 ** 30),
    os: osName(),
    kernel: release(),
    node: process.version,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own field syntax
    mitKrb5: await firstLine('dpkg-query', ['-W', '-f=${Version}', 'libgssapi-krb5-2']),
    curl: await firstLine('curl', ['--version']),
    python: await firstLine('/usr/bin/python3', ['--version']),
    requestsKerberos: await firstLine('/usr/bin/python3', [
      '-c',
      'import requests, requests_kerberos; print(f"requests-kerberos {requests_kerberos.__version__}, requests {requests.__version__}")',
    ]),
    httpxGssapi: await httpxGssapiVersions(),
    packages,
    loadAtStart: loadavg()[0]!,
  };
}
