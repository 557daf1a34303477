/**
 * What the benchmark ran on, recorded with every result: a ratio means little without it.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
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
    packages,
    loadAtStart: loadavg()[0]!,
  };
}
