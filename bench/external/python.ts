/**
 * Python's requests with requests-kerberos (Debian python3-requests-kerberos), run by Debian's
 * /usr/bin/python3 (the one that sees Debian's modules). See bench/python/requests_kerberos_client.py.
 *
 * @module
 */
import { repoFile } from '../lib/paths.js';
import { runProgram } from '../lib/processes.js';
import type { ThroughputResult } from '../workers/node-client.js';
import type { ExternalClient, ExternalThroughputInput } from './types.js';

const PYTHON = '/usr/bin/python3';

function requestsKerberos(preemptive: boolean): ExternalClient {
  return {
    name: preemptive ? 'requests-kerberos-preemptive' : 'requests-kerberos',
    label: preemptive ? 'requests-kerberos (force_preemptive)' : 'requests-kerberos',
    async unavailable() {
      try {
        const r = await runProgram(PYTHON, ['-c', 'import requests_kerberos']);
        return r.code === 0
          ? null
          : 'python3-requests-kerberos is not installed; run scripts/install-bench-deps.sh';
      } catch {
        return `${PYTHON} not found; run scripts/install-bench-deps.sh`;
      }
    },
    async throughput(input: ExternalThroughputInput): Promise<ThroughputResult> {
      const args = [
        repoFile('bench/python/requests_kerberos_client.py'),
        `--base=${input.authBase}`,
        `--prefix=${input.prefix}`,
        `--warmup=${input.warmup}`,
        `--sequential=${input.sequential}`,
        `--concurrent=${input.concurrent}`,
        `--in-flight=${input.inFlight}`,
      ];
      if (preemptive) args.push('--preemptive');
      const r = await runProgram(PYTHON, args, { env: input.env });
      if (r.code !== 0) throw new Error(`requests-kerberos client failed (exit ${r.code}): ${r.stderr}`);
      return JSON.parse(r.stdout) as ThroughputResult;
    },
  };
}

export const requestsKerberosClient = requestsKerberos(false);
export const requestsKerberosPreemptive = requestsKerberos(true);
