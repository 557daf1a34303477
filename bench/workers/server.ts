/**
 * The benchmark's server process: a NegotiateTestServer (this library's acceptor) in a process
 * of its own, so its work is not charged to the client being measured. The parent asks it over
 * IPC what it saw; it keeps per-path counts only, so 100,000 requests cost it little memory.
 *
 * @module
 */
import { NegotiateTestServer } from '../../src/testing/index.js';
import type { ServerStats } from '../lib/bench-server.js';

interface Aggregate {
  requests: number;
  negotiate: number;
  paths: Set<string>;
  connections: Set<number>;
  statuses: Record<string, number>;
}

const fresh = (): Aggregate => ({
  requests: 0,
  negotiate: 0,
  paths: new Set(),
  connections: new Set(),
  statuses: {},
});

const keytab = process.env['KRB5_KTNAME']!.replace(/^FILE:/, '');
const server = await NegotiateTestServer.start({ keytab, hostname: 'localhost' });
/** Counts by group: a request path without its last segment (`/ok/<run>/<i>` counts under `/ok/<run>`). */
let groups = new Map<string, Aggregate>();

/** Moves what the server recorded into the aggregates, so its array stays short. */
function collect(): void {
  for (const r of server.requests.splice(0)) {
    const path = r.path.split('?')[0]!;
    const group = path.slice(0, path.lastIndexOf('/'));
    let current = groups.get(group);
    if (!current) {
      current = fresh();
      groups.set(group, current);
    }
    current.requests++;
    if (r.negotiate) current.negotiate++;
    current.paths.add(path);
    current.connections.add(r.connection);
    current.statuses[r.status] = (current.statuses[r.status] ?? 0) + 1;
  }
}
const timer = setInterval(collect, 500);

process.on('message', (message: { type: string }) => {
  if (message.type === 'stats') {
    collect();
    const stats: Record<string, ServerStats> = {};
    for (const [group, a] of groups) {
      stats[group] = {
        requests: a.requests,
        negotiate: a.negotiate,
        paths: a.paths.size,
        connections: a.connections.size,
        statuses: a.statuses,
      };
    }
    groups = new Map();
    process.send!({ type: 'stats', stats });
  } else if (message.type === 'stop') {
    clearInterval(timer);
    void server.stop().then(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
process.send!({ type: 'ready', url: server.url, port: server.port });
