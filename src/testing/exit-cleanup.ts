/**
 * Best-effort cleanup when the process ends without `stop()`. Internal: not exported from
 * `http-gssapi/testing`.
 *
 * @module
 */

const cleanups = new Set<() => void>();

// Signals that end a test process from outside: `timeout`, a CI runner's cancel, the node:test
// runner killing a file that ran too long. None of them fires 'exit', and the KDC, being a
// separate process, would outlive us. (Ctrl-C in a terminal reaches the KDC directly, since it
// shares our process group, but a SIGINT sent to our pid alone does not.)
const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function runAll(): void {
  for (const cleanup of cleanups) {
    try {
      cleanup();
    } catch {
      // Best effort: the process is ending, and one failure must not stop the other cleanups.
    }
  }
  cleanups.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  runAll();
  uninstall();
  // Our listener replaced the default action (terminate). If nobody else handles the signal,
  // restore that action by raising it again; otherwise leave the decision to the other handler.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function install(): void {
  process.on('exit', runAll);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function uninstall(): void {
  process.off('exit', runAll);
  for (const signal of SIGNALS) process.off(signal, onSignal);
}

/**
 * Runs `cleanup` (synchronously: nothing else can run in an `'exit'` handler) if the process
 * exits, or is asked to terminate by SIGINT, SIGTERM or SIGHUP, while it is registered. One set of
 * listeners serves every realm, so that many realms do not trip Node's MaxListenersExceeded
 * warning, and they are removed when the last realm stops. SIGKILL cannot be caught: nothing
 * in-process helps then.
 *
 * @returns a function that unregisters `cleanup`.
 */
export function onProcessExit(cleanup: () => void): () => void {
  if (cleanups.size === 0) install();
  cleanups.add(cleanup);
  return () => {
    if (cleanups.delete(cleanup) && cleanups.size === 0) uninstall();
  };
}
