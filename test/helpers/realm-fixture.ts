/**
 * {@link useRealm}: a test file's realm and servers, started before its first test and stopped
 * after its last, by hooks the helper registers itself (as ky's test server helper does), so no
 * test file repeats the setup or can forget the teardown.
 *
 * @module
 */
import { after, before } from 'node:test';
import { Credentials } from '../../src/gssapi/index.js';
import { NegotiateTestServer, TestRealm, type TestRealmOptions } from '../../src/testing/index.js';
import { ApacheServer, type ApacheServerOptions } from './apache.js';
import { SquidProxy, type SquidProxyOptions } from './squid.js';

/**
 * A third-party server to start: `true` for the defaults, or its options (the realm is the
 * fixture's). With `optional: true`, a server that cannot start (not installed) is left out and
 * {@link RealmFixture.skipReason} says why; otherwise the file's hooks fail.
 */
export type ServiceChoice<Options> = boolean | (Omit<Options, 'realm'> & { readonly optional?: boolean });

/**
 * What {@link useRealm} starts besides the realm (a KDC, a user with a ticket, an HTTP service
 * key). Everything is off unless asked for, except `applyEnv`.
 *
 * @example
 * ```ts
 * const fixture = useRealm({ negotiateServer: true, apache: { optional: true } });
 * ```
 */
export interface RealmFixtureOptions {
  /** Options of {@link TestRealm.start}. */
  readonly realm?: TestRealmOptions;
  /** Point this process's Kerberos environment at the realm for the whole file; default true. */
  readonly applyEnv?: boolean;
  /** Acceptor credentials from the service keytab, for tests of the GSSAPI layer. */
  readonly acceptor?: boolean;
  /** The project's acceptor-based server ({@link NegotiateTestServer}, which misbehaves on request). */
  readonly negotiateServer?: boolean;
  /** Apache httpd with mod_auth_gssapi ({@link ApacheServer}). */
  readonly apache?: ServiceChoice<ApacheServerOptions>;
  /** squid demanding Negotiate proxy authentication ({@link SquidProxy}). */
  readonly squid?: ServiceChoice<SquidProxyOptions>;
  /** Start nothing (and so make every accessor throw), e.g. when a library under test is absent. */
  readonly skip?: boolean;
}

type Service = 'negotiateServer' | 'apache' | 'squid';

/** The started realm and servers; each accessor throws while its thing is not running. */
export interface RealmFixture {
  readonly realm: TestRealm;
  readonly acceptorCredentials: Credentials;
  readonly negotiateServer: NegotiateTestServer;
  readonly apache: ApacheServer;
  readonly squid: SquidProxy;
  /** Why an `optional` server is not running (its start error's first line), or null when it is. */
  skipReason(service: Service): string | null;
}

/**
 * Registers `before` and `after` hooks in the current suite (the file, when called at the top
 * level) that start a {@link TestRealm} and the servers `options` ask for, and stop them all
 * again, in reverse order, whatever failed on the way.
 *
 * @example
 * ```ts
 * const fixture = useRealm({ negotiateServer: true });
 * test('authenticates', async () => {
 *   const res = await createFetch(new HTTPSPNEGOAuth())(`${fixture.negotiateServer.url}ok/`);
 *   assert.equal((await res.json()).user, fixture.realm.user.principal);
 * });
 * ```
 */
export function useRealm(options: RealmFixtureOptions = {}): RealmFixture {
  const started: {
    realm?: TestRealm;
    restoreEnv?: () => void;
    acceptorCredentials?: Credentials;
    negotiateServer?: NegotiateTestServer;
    apache?: ApacheServer;
    squid?: SquidProxy;
  } = {};
  const skipped = new Map<Service, string>();

  before(async () => {
    if (options.skip) return;
    const realm = await TestRealm.start(options.realm);
    started.realm = realm;
    if (options.applyEnv ?? true) started.restoreEnv = realm.applyEnv();
    if (options.acceptor) {
      started.acceptorCredentials = await Credentials.acquire({
        usage: 'accept',
        store: { keytab: realm.service.keytab },
      });
    }
    // The servers are independent of each other: start them side by side.
    const starts: Promise<void>[] = [];
    const start = <T>(
      service: Service,
      choice: ServiceChoice<unknown> | undefined,
      run: () => Promise<T>,
    ) => {
      if (!choice) return;
      const optional = typeof choice === 'object' && choice.optional === true;
      starts.push(
        run().then(
          (server) => void Object.assign(started, { [service]: server }),
          (error: unknown) => {
            if (!optional) throw error;
            skipped.set(
              service,
              `${service} is not available: ${String((error as Error).message).split('\n')[0]}`,
            );
          },
        ),
      );
    };
    start('negotiateServer', options.negotiateServer, () =>
      NegotiateTestServer.start({ keytab: realm.service.keytab, hostname: realm.hostname }),
    );
    start('apache', options.apache, () => ApacheServer.start({ ...serverOptions(options.apache), realm }));
    start('squid', options.squid, () => SquidProxy.start({ ...serverOptions(options.squid), realm }));
    const failed = (await Promise.allSettled(starts)).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  });

  after(async () => {
    const { realm, restoreEnv, acceptorCredentials, negotiateServer, apache, squid } = started;
    const stops = await Promise.allSettled([negotiateServer?.stop(), apache?.stop(), squid?.stop()]);
    acceptorCredentials?.dispose();
    restoreEnv?.();
    await realm?.stop();
    const failed = stops.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  });

  const running = <T>(value: T | undefined, what: string, hint: string): T => {
    if (value === undefined) {
      throw new Error(`${what} is not running: ${hint}`);
    }
    return value;
  };
  const server = <T>(service: Service, value: T | undefined): T =>
    running(
      value,
      service,
      skipped.get(service) ?? `pass { ${service}: true } to useRealm(), and use it in a test`,
    );
  return {
    get realm() {
      return running(started.realm, 'the realm', 'use it in a test, after the before hook');
    },
    get acceptorCredentials() {
      return running(
        started.acceptorCredentials,
        'acceptorCredentials',
        'pass { acceptor: true } to useRealm()',
      );
    },
    get negotiateServer() {
      return server('negotiateServer', started.negotiateServer);
    },
    get apache() {
      return server('apache', started.apache);
    },
    get squid() {
      return server('squid', started.squid);
    },
    skipReason: (service) => skipped.get(service) ?? null,
  };
}

/** A server's own options out of a {@link ServiceChoice} (all of them are optional). */
function serverOptions<Options>(choice: ServiceChoice<Options> | undefined): Omit<Options, 'realm'> {
  if (typeof choice !== 'object') return {} as Omit<Options, 'realm'>;
  const { optional: _optional, ...own } = choice;
  return own as unknown as Omit<Options, 'realm'>;
}
