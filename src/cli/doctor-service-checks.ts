/**
 * The `doctor` checks that concern one URL: what DNS does to its host, what the server says
 * without credentials, and whether a ticket for its SPN can be obtained (and if not, why).
 *
 * @module
 */
import { promises as dns } from 'node:dns';
import { isIP, Socket } from 'node:net';
import { CredentialSource } from '../core/credential-source.js';
import { negotiableMechsFor } from '../core/mechanism-policy.js';
import { gssapiContextFactory, requestFlags, resolveTarget } from '../core/negotiate-context.js';
import type { ResolvedOptions } from '../core/options.js';
import { Name } from '../gssapi/name.js';
import { NameType } from '../gssapi/name-type.js';
import { describeOid, OID } from '../gssapi/oid.js';
import { redactAuthHeader } from './auth-header-text.js';
import type { Finding } from './doctor-finding.js';
import { adviceFor } from './gss-failure-advice.js';
import { type Krb5Profile, profileBoolean } from './krb5-profile.js';

/** Kerberos's default allowed clock skew (krb5.conf `clockskew`), in seconds. */
const DEFAULT_CLOCKSKEW = 300;

/** How long a network probe may take: doctor must answer promptly offline too. */
const PROBE_MS = 3000;

const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error(`${what}: no answer in ${ms} ms`), { code: 'ETIMEOUT' })),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * What DNS makes of the URL's host and what that does to the SPN. MIT krb5 turns `HTTP@host`
 * into `HTTP/<name>` after a forward lookup (CNAMEs followed) when `dns_canonicalize_hostname`
 * is true, and then a reverse lookup of the address when `rdns` is true too (both default
 * true): the principal asked for can differ from the host in the URL.
 */
export async function checkDns(url: URL, profile: Krb5Profile): Promise<Finding> {
  const host = hostOf(url);
  const canonicalizeSetting = profile.value('libdefaults', 'dns_canonicalize_hostname') ?? 'true';
  const canonicalize =
    canonicalizeSetting.toLowerCase() === 'fallback' ? 'fallback' : profileBoolean(canonicalizeSetting, true);
  const rdns = profileBoolean(profile.value('libdefaults', 'rdns'), true);
  const settings = `dns_canonicalize_hostname = ${canonicalize}, rdns = ${rdns}`;
  if (isIP(host)) {
    return {
      check: 'DNS',
      status: 'warn',
      summary: `the URL names an IP address (${host}): the SPN becomes HTTP/${host}, which KDCs rarely have`,
      details: [settings],
      fix: 'use the host name the service principal is registered for (AD: `setspn -Q HTTP/<name>`)',
    };
  }
  let addresses: string[];
  try {
    addresses = (await withTimeout(dns.lookup(host, { all: true }), PROBE_MS, `lookup ${host}`)).map(
      (a) => a.address,
    );
  } catch (error) {
    return {
      check: 'DNS',
      status: 'warn',
      summary: `${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): offline, or a wrong name`,
      details: [settings],
      fix: 'check the host name and DNS; the checks that need the network are skipped or will fail',
    };
  }
  const details = [`${host} -> ${addresses.join(', ')}`, settings];
  let name = host;
  let status: Finding['status'] = 'ok';
  if (canonicalize !== false) {
    const resolver = new dns.Resolver({ timeout: 1500, tries: 1 });
    try {
      for (let i = 0; i < 8; i++) {
        const [target] = await resolver.resolveCname(name);
        if (!target) break;
        details.push(`CNAME ${name} -> ${target}`);
        name = target;
      }
    } catch {
      // No (more) CNAME: the name is canonical.
    }
    if (rdns && canonicalize === true && addresses[0]) {
      try {
        const { hostname } = await withTimeout(
          dns.lookupService(addresses[0], 0),
          PROBE_MS,
          'reverse lookup',
        );
        details.push(`reverse ${addresses[0]} -> ${hostname}`);
        name = hostname;
      } catch (error) {
        details.push(`reverse ${addresses[0]}: ${(error as NodeJS.ErrnoException).code ?? 'no name'}`);
      }
    }
  }
  const spnHost = name.toLowerCase().replace(/\.$/, '');
  const changed = spnHost !== host.toLowerCase().replace(/\.$/, '');
  if (changed) status = 'info';
  return {
    check: 'DNS',
    status,
    summary: changed
      ? `MIT would ask for HTTP/${spnHost}, not HTTP/${host}, after DNS canonicalization`
      : `HTTP/${host}: DNS does not change the SPN host`,
    details,
    ...(changed
      ? {
          fix: `register HTTP/${spnHost} for the service, or set dns_canonicalize_hostname = false (and rdns = false) in [libdefaults] so HTTP/${host} is used`,
        }
      : {}),
  };
}

/**
 * One plain request without credentials: does the server ask for Negotiate, and how far is its
 * clock (`Date`) from this one.
 */
export async function checkServer(url: URL): Promise<Finding> {
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(PROBE_MS * 2) });
    await response.body?.cancel();
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return {
      check: 'server',
      status: 'problem',
      summary: `${url.origin} cannot be reached: ${cause?.message ?? (error as Error).message}`,
      ...(cause?.code ? { code: cause.code } : {}),
      fix: 'check the URL, the network and the proxy (doctor only connects directly)',
    };
  }
  const challenge = response.headers.get('www-authenticate');
  const details = [
    `${response.status} ${response.statusText}${challenge ? `, WWW-Authenticate: ${redactAuthHeader(challenge)}` : ''}`,
  ];
  const date = response.headers.get('date');
  let skewed = false;
  if (date) {
    const skew = Math.round((Date.parse(date) - Date.now()) / 1000);
    details.push(`server clock ${date}; this machine ${new Date().toUTCString()} (difference ${skew} s)`);
    skewed = Math.abs(skew) > DEFAULT_CLOCKSKEW;
  }
  const negotiate = challenge !== null && /(?:^|,)\s*negotiate\b/i.test(challenge);
  if (skewed) {
    return {
      check: 'server',
      status: 'problem',
      summary:
        "the server's clock and this machine's differ by more than 5 minutes: Kerberos will refuse the tickets",
      details,
      code: 'KRB5KRB_AP_ERR_SKEW',
      fix: 'synchronize the clocks with NTP (timedatectl set-ntp true, chrony, or w32tm on Windows)',
    };
  }
  return {
    check: 'server',
    status: response.status === 401 && !negotiate ? 'warn' : 'ok',
    summary:
      response.status === 401
        ? negotiate
          ? `${url.origin} asks for Negotiate`
          : `${url.origin} answers 401 but does not offer Negotiate`
        : `${url.origin} answers ${response.status} without credentials${negotiate ? ' and offers Negotiate' : ''}`,
    details,
    ...(response.status === 401 && !negotiate
      ? {
          fix: 'the server is not configured for Kerberos (Apache: AuthType GSSAPI; IIS: Windows Authentication with Negotiate)',
        }
      : {}),
  };
}

/** Tries a TCP connection to each KDC krb5.conf lists for `realm`, for a "KDC unreachable" finding. */
export async function probeKdcs(realm: string, profile: Krb5Profile): Promise<string[]> {
  const kdcs = profile.values('realms', realm, 'kdc');
  if (kdcs.length === 0) {
    return [
      `krb5.conf lists no kdc for ${realm}${profileBoolean(profile.value('libdefaults', 'dns_lookup_kdc'), true) ? ' (DNS SRV records are used)' : ' and dns_lookup_kdc is off'}`,
    ];
  }
  return Promise.all(
    kdcs.map(async (kdc) => {
      const match = /^(?:tcp\/|udp\/)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(kdc.trim());
      const host = (match?.[1] ?? kdc).replace(/^\[|\]$/g, '');
      const port = Number(match?.[2] ?? 88);
      const result = await new Promise<string>((resolve) => {
        const socket = new Socket();
        const done = (text: string) => {
          socket.destroy();
          resolve(text);
        };
        socket.setTimeout(PROBE_MS, () => done('no answer (timeout)'));
        socket.once('connect', () => done('accepts TCP connections'));
        socket.once('error', (error: NodeJS.ErrnoException) => done(`${error.code ?? error.message}`));
        socket.connect(port, host);
      });
      return `kdc ${host}:${port} (TCP): ${result}`;
    }),
  );
}

/**
 * The SPN the URL gets (as the library resolves it, then as the mechanism canonicalizes it),
 * and whether a ticket for it can be obtained: a real first context step, as a request would
 * make it. A failure is diagnosed from its GSSAPI code, with KDC probes and clock details where
 * they explain it.
 */
export async function checkServiceTicket(
  url: URL,
  options: ResolvedOptions,
  profile: Krb5Profile,
): Promise<Finding> {
  const target = resolveTarget(options.targetName, url);
  const spn = String(target);
  const realmDefault = profile.value('libdefaults', 'default_realm') ?? '(no default realm)';
  const details: string[] = [];
  let principal = spn;
  const name = typeof target === 'string' ? new Name(target, NameType.hostbasedService) : null;
  try {
    if (name) {
      try {
        const mn = await name.canonicalize(OID.KRB5);
        principal = String(mn);
        mn.dispose();
        details.push(`${spn} -> ${principal} (gss_canonicalize_name)`);
      } catch (error) {
        details.push(`${spn} could not be canonicalized: ${(error as Error).message}`);
      }
    }
    const realm = /@([^@]+)$/.exec(principal)?.[1] ?? realmDefault;
    const source = new CredentialSource(options.creds, negotiableMechsFor(options));
    const context = { current: null as ReturnType<typeof gssapiContextFactory> | null };
    try {
      context.current = gssapiContextFactory({
        target,
        flags: requestFlags(true, options.delegate),
        mech: options.mech,
        creds: await source.get(),
        negotiableMechs: negotiableMechsFor(options),
      });
      const token = await context.current.step(null);
      details.push(
        `first token: ${token?.length ?? 0} bytes, mechanism ${describeOid(context.current.mech ?? options.mech)}`,
      );
      return {
        check: 'service ticket',
        status: 'ok',
        summary: `a ticket for ${principal} can be obtained`,
        details,
      };
    } catch (error) {
      const failure = adviceFor(error, { spn: principal, realm });
      const { code } = failure;
      details.push(failure.message);
      if (code === 'KRB5_KDC_UNREACH') details.push(...(await probeKdcs(realm, profile)));
      if (code === 'KRB5KRB_AP_ERR_SKEW' || code === 'KRB5_KDCREP_SKEW') {
        details.push(
          `this machine's clock: ${new Date().toISOString()}; allowed skew ${profile.value('libdefaults', 'clockskew') ?? DEFAULT_CLOCKSKEW} s`,
        );
      }
      return {
        check: 'service ticket',
        status: 'problem',
        summary: `no ticket for ${principal}: ${failure.diagnosis}`,
        details,
        ...(code ? { code } : {}),
        ...(failure.fix ? { fix: failure.fix } : {}),
      };
    } finally {
      context.current?.dispose();
      source.dispose();
    }
  } finally {
    name?.dispose();
  }
}
