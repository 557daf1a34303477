/**
 * The servers the clients are measured against: the acceptor-based NegotiateTestServer (always)
 * and Apache httpd with mod_auth_gssapi (when test/helpers/apache.ts is in the tree and Apache
 * is installed), the latter also with sessions (`GssapiUseSessions` and a mod_session cookie) for
 * the sessions section. Each counts what it received, by group (a path without its last
 * segment), so round trips per request come from the server, never from the client's own account.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestRealm } from '../../src/testing/index.js';
import { BenchServer, type ServerStats } from './bench-server.js';

export interface BenchTarget {
  /** Short name used in path prefixes and the JSON. */
  readonly name: string;
  /** One line for the report. */
  readonly description: string;
  /** URL prefix of the authenticated resource; each request appends `<group>/<i>`. */
  readonly authBase: string;
  /** URL prefix of the same resource without authentication. */
  readonly publicBase: string;
  /** Counts since the last call, keyed by group path (`/ok/<group>`), then reset. */
  stats(): Promise<Record<string, ServerStats>>;
  stop(): Promise<void>;
}

/** The server's key for a group under a base URL. */
export function groupKey(base: string, group: string): string {
  return `${new URL(base).pathname}${group}`;
}

export async function startTestServer(env: NodeJS.ProcessEnv): Promise<BenchTarget> {
  const server = await BenchServer.start(env);
  return {
    name: 'test-server',
    description: `NegotiateTestServer (this library's acceptor, in a Node process of its own; /ok/ authenticated, answers with the final token)`,
    authBase: `${server.url}ok/`,
    publicBase: `${server.url}public/`,
    stats: () => server.stats(),
    stop: () => server.stop(),
  };
}

interface ApacheEntry {
  readonly target: string;
  readonly status: number;
  readonly authorization: string | null;
  readonly remotePort: number;
}
interface ApacheLike {
  readonly url: string;
  accessLog(): Promise<ApacheEntry[]>;
  clearAccessLog(): Promise<void>;
  stop(): Promise<void>;
}

const APACHE_HELPER = new URL('../../test/helpers/apache.js', import.meta.url);

/** Whether the Apache harness is in this tree (compiled beside the bench). */
export function apacheHarnessPresent(): boolean {
  return existsSync(fileURLToPath(APACHE_HELPER));
}

/**
 * Apache with mod_auth_gssapi. With `sessionCookie`, `GssapiUseSessions On` and a mod_session
 * cookie on /private/: one accepted token authenticates every later request that sends the
 * cookie back, until the session ends (no `SessionMaxAge`: not within a run).
 */
export async function startApache(
  realm: TestRealm,
  options: { sessionCookie?: boolean } = {},
): Promise<BenchTarget> {
  const module = (await import(APACHE_HELPER.href)) as {
    ApacheServer: { start(options: { realm: TestRealm; sessionCookie?: boolean }): Promise<ApacheLike> };
  };
  const sessions = options.sessionCookie === true;
  const server = await module.ApacheServer.start(sessions ? { realm, sessionCookie: true } : { realm });
  await server.clearAccessLog();
  return {
    name: sessions ? 'apache-sessions' : 'apache',
    description: sessions
      ? 'Apache httpd with mod_auth_gssapi, GssapiUseSessions On and a mod_session_cookie cookie (test/helpers/apache.ts: mpm_event, mod_lua JSON echo; /private/ authenticated)'
      : 'Apache httpd with mod_auth_gssapi (test/helpers/apache.ts: mpm_event, mod_lua JSON echo; /private/ authenticated)',
    authBase: `${server.url}private/`,
    publicBase: `${server.url}public/`,
    async stats() {
      const entries = await server.accessLog();
      await server.clearAccessLog();
      const groups = new Map<
        string,
        {
          requests: number;
          negotiate: number;
          accepted: number;
          paths: Set<string>;
          ports: Set<number>;
          statuses: Record<string, number>;
        }
      >();
      for (const e of entries) {
        const path = e.target.split('?')[0]!;
        const group = path.slice(0, path.lastIndexOf('/'));
        let g = groups.get(group);
        if (!g) {
          g = { requests: 0, negotiate: 0, accepted: 0, paths: new Set(), ports: new Set(), statuses: {} };
          groups.set(group, g);
        }
        g.requests++;
        if (e.authorization === 'negotiate') {
          g.negotiate++;
          if (e.status !== 401) g.accepted++;
        }
        g.paths.add(path);
        g.ports.add(e.remotePort);
        g.statuses[e.status] = (g.statuses[e.status] ?? 0) + 1;
      }
      const out: Record<string, ServerStats> = {};
      for (const [group, g] of groups) {
        out[group] = {
          requests: g.requests,
          negotiate: g.negotiate,
          acceptedTokens: g.accepted,
          paths: g.paths.size,
          connections: g.ports.size,
          statuses: g.statuses,
        };
      }
      return out;
    },
    stop: () => server.stop(),
  };
}
