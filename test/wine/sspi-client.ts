/**
 * Runs under Wine, in the Windows build of Node (see test/helpers/wine.ts): exercises the SSPI
 * provider against the realm and Apache that the Linux-side test started, and writes what
 * happened, scenario by scenario, to a JSON file (Node under Wine cannot write to a pipe).
 * Never prints a token: only sizes and the first bytes' tag.
 *
 * Usage: node sspi-client.js <job.json>
 *
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import axios from 'axios';
import { Agent, request as undiciRequest } from 'undici';
import { withNegotiate } from '../../src/adapters/axios/index.js';
import { negotiate } from '../../src/adapters/undici/index.js';
import {
  ChannelBindings,
  ContextFlag,
  Credentials,
  GSSError,
  gssapiProvider,
  Name,
  NameType,
  OID,
  SecurityContext,
  SSPIError,
} from '../../src/gssapi/index.js';
import {
  acquireCredentialsHandle,
  CredentialUse,
  isSecError,
  querySecurityPackageInfo,
  sspiOutstandingAllocations,
  wineVersion,
} from '../../src/gssapi/sspi/raw/index.js';
import { SspiInitiator } from '../../src/gssapi/sspi/sspi-context.js';
import { releaseSspiCredentials } from '../../src/gssapi/sspi/sspi-credentials.js';
import { createFetch, HTTPSPNEGOAuth, KRB5, negotiateErrorOf, REQUIRED } from '../../src/index.js';

/** What the Linux side passes. */
export interface WineJob {
  /** Apache's base URL, `http://<host>:<port>/`. */
  readonly url: string;
  /** The realm's host name (the SPN's host). */
  readonly hostname: string;
  /** The test user, for the password scenario. */
  readonly principal: string;
  readonly password: string;
  /** Where to write the {@link WineResult}. */
  readonly resultPath: string;
  /**
   * Principals under a lockout policy (password `lockoutPassword`), whose failed attempts the
   * Linux side counts: one for five wrong-password requests, one for five plus a retry.
   */
  readonly lockout?: {
    readonly five: string;
    readonly retry: string;
    readonly burst: string;
    readonly ntlmAllowed: string;
    readonly password: string;
  };
}

/** One scenario's outcome. */
export interface ScenarioResult {
  readonly ok: boolean;
  readonly ms: number;
  readonly value?: Record<string, unknown>;
  readonly error?: {
    name: string;
    code?: unknown;
    message: string;
    hint?: unknown;
    cause?: Record<string, unknown>;
  };
}

/** Everything the run produced. */
export interface WineResult {
  readonly platform: string;
  readonly node: string;
  readonly scenarios: Record<string, ScenarioResult>;
}

function describeError(error: unknown): NonNullable<ScenarioResult['error']> {
  const e = error as { name?: string; code?: unknown; message?: string; hint?: unknown; cause?: unknown };
  const cause = e?.cause as
    | {
        name?: string;
        code?: unknown;
        statusName?: unknown;
        hint?: unknown;
        majorName?: unknown;
        message?: string;
      }
    | undefined;
  return {
    name: e?.name ?? typeof error,
    code: e?.code,
    message: String(e?.message ?? error),
    hint: e?.hint,
    ...(cause
      ? {
          cause: {
            name: cause.name,
            code: cause.code,
            statusName: cause.statusName,
            majorName: cause.majorName,
            hint: cause.hint,
            isGSSError: cause instanceof GSSError,
            isSSPIError: cause instanceof SSPIError,
            message: cause.message,
          },
        }
      : {}),
  };
}

/** GET with node:http and an Authorization header; the status and the WWW-Authenticate token. */
function get(
  url: string,
  authorization: string | null,
): Promise<{ status: number; token: Uint8Array | null }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: authorization ? { authorization } : {} }, (res) => {
      res.resume();
      res.on('end', () => {
        const header = String(res.headers['www-authenticate'] ?? '');
        const match = /^Negotiate\s+(\S+)/i.exec(header);
        resolve({ status: res.statusCode ?? 0, token: match ? Buffer.from(match[1]!, 'base64') : null });
      });
    });
    req.on('error', reject);
  });
}

/** The typed layer directly: a context, its token to Apache, the mutual token back. */
async function contextScenario(job: WineJob, mech: OID, bindings: ChannelBindings | null) {
  const creds = await Credentials.acquire();
  const name = new Name(`HTTP@${job.hostname}`, NameType.hostbasedService);
  const ctx = new SecurityContext({
    usage: 'initiate',
    name,
    creds,
    mech,
    flags: ContextFlag.MUTUAL | ContextFlag.SEQUENCE,
    channelBindings: bindings,
  });
  try {
    const token = await ctx.step();
    if (!token) throw new Error('no first token');
    const res = await get(
      new URL('/private/', job.url).href,
      `Negotiate ${Buffer.from(token).toString('base64')}`,
    );
    const completeBefore = ctx.complete;
    if (res.token) await ctx.step(res.token);
    return {
      credMechs: creds.mechs.map(String),
      tokenBytes: token.length,
      // 0x60: an RFC 2743 section 3.1 initial context token (raw Kerberos or SPNEGO NegTokenInit).
      tokenTag: token[0],
      tokenIsSpnego: Buffer.from(token.subarray(0, 16)).includes(
        Buffer.from([0x2b, 0x06, 0x01, 0x05, 0x05, 0x02]),
      ),
      completeAfterFirst: completeBefore,
      status: res.status,
      serverTokenBytes: res.token?.length ?? 0,
      complete: ctx.complete,
      mutual: ctx.mutualAuthenticated,
      flags: ctx.actualFlags,
      mech: String(ctx.mech),
      lifetime: ctx.lifetime,
      initiatorName: ctx.initiatorName === null ? null : String(ctx.initiatorName),
      targetName: String(ctx.targetName),
    };
  } finally {
    ctx.dispose();
    name.dispose();
    creds.dispose();
  }
}

/** A context with password credentials: the first token's shape, or the error. */
async function passwordContext(job: WineJob, password: string) {
  const creds = await Credentials.withPassword({ name: job.principal, password });
  const name = new Name(`HTTP@${job.hostname}`, NameType.hostbasedService);
  const ctx = new SecurityContext({ usage: 'initiate', name, creds, mech: OID.SPNEGO });
  try {
    const token = await ctx.step();
    return {
      credMechs: creds.mechs.map(String),
      credName: String(creds.name),
      tokenBytes: token?.length ?? 0,
      tokenTag: token?.[0],
      tokenIsNtlm: token ? Buffer.from(token).includes(Buffer.from('NTLMSSP')) : false,
    };
  } catch (error) {
    return { thrown: describeError(error) };
  } finally {
    ctx.dispose();
    name.dispose();
    creds.dispose();
  }
}

/**
 * A Negotiate handle for the logged-on user acquired with a SEC_WINNT_AUTH_IDENTITY_EXW that
 * carries only `PackageList = Kerberos,!NTLM` (straight through the raw layer, which the typed
 * layer does not do under Wine), then one context step: what this secur32 makes of the list.
 */
async function rawPackageList(job: WineJob) {
  const r = await acquireCredentialsHandle({
    principal: null,
    packageName: 'Negotiate',
    use: CredentialUse.OUTBOUND,
    identity: { user: null, domain: null, password: null, packageList: 'Kerberos,!NTLM' },
  });
  if (isSecError(r.status)) return { acquireStatus: r.status.toString(16) };
  const ctx = new SspiInitiator({
    target: `HTTP/${job.hostname}`,
    packageName: 'Negotiate',
    flags: ContextFlag.MUTUAL,
    creds: {
      handle: r.handle,
      packageName: 'Negotiate',
      currentUser: false,
      mechs: [OID.SPNEGO],
      lifetime: null,
      negotiableMechs: [OID.KRB5],
      logonGate: null,
    },
    bindings: null,
  });
  try {
    const step = await ctx.step(null);
    return {
      acquireStatus: r.status.toString(16),
      stepStatus: step.minor.toString(16),
      tokenTag: step.output?.[0] ?? null,
      tokenIsNtlm: step.output ? Buffer.from(step.output).includes(Buffer.from('NTLMSSP')) : false,
    };
  } finally {
    ctx.dispose();
    releaseSspiCredentials(r.handle);
  }
}

/**
 * Five requests with a wrong password through one auth, one after the other (or all at once),
 * then retryLogin() and one more when asked.
 */
async function wrongPasswordRequests(
  job: WineJob,
  principal: string,
  how: { retry?: boolean; together?: boolean; allowNtlm?: boolean } = {},
) {
  const auth = new HTTPSPNEGOAuth({
    creds: { principal, password: `${job.lockout!.password}-wrong` },
    allowNtlm: how.allowNtlm ?? false,
  });
  const fetchWith = createFetch(auth);
  const attempt = async (i: number) => {
    const res = await fetchWith(new URL(`/private/?try=${i}`, job.url));
    await res.arrayBuffer();
    const error = negotiateErrorOf(res) as { cause?: { code?: unknown; hint?: unknown } } | null;
    return { status: res.status, reason: error?.cause?.code ?? null, hint: error?.cause?.hint ?? null };
  };
  const requests = [];
  if (how.together) requests.push(...(await Promise.all([0, 1, 2, 3, 4].map(attempt))));
  else for (let i = 0; i < 5; i++) requests.push(await attempt(i));
  if (!how.retry) return { requests };
  auth.retryLogin();
  return { requests, afterRetry: await attempt(5) };
}

async function body(res: Response) {
  return (await res.json()) as Record<string, unknown>;
}

const scenarios: Record<string, (job: WineJob) => Promise<Record<string, unknown>>> = {
  provider: async () => ({
    provider: gssapiProvider(),
    negotiateMaxToken: querySecurityPackageInfo('Negotiate').maxToken,
    kerberosMaxToken: querySecurityPackageInfo('Kerberos').maxToken,
  }),
  'context-negotiate': (job) => contextScenario(job, OID.SPNEGO, null),
  'context-kerberos': (job) => contextScenario(job, OID.KRB5, null),
  'context-channel-bindings': (job) =>
    contextScenario(
      job,
      OID.SPNEGO,
      new ChannelBindings({ applicationData: new TextEncoder().encode('tls-server-end-point:0123') }),
    ),
  'fetch-mutual': async (job) => {
    const res = await createFetch(new HTTPSPNEGOAuth({ mutualAuthentication: REQUIRED }))(
      new URL('/private/', job.url),
    );
    return { status: res.status, user: (await body(res)).user };
  },
  'fetch-kerberos-mech': async (job) => {
    const res = await createFetch(new HTTPSPNEGOAuth({ mech: KRB5, mutualAuthentication: REQUIRED }))(
      new URL('/private/', job.url),
    );
    return { status: res.status, user: (await body(res)).user };
  },
  'fetch-delegate': async (job) => {
    const res = await createFetch(new HTTPSPNEGOAuth({ delegate: true, mutualAuthentication: REQUIRED }))(
      new URL('/delegate/', job.url),
    );
    return { status: res.status, ...(await body(res)) };
  },
  'fetch-unknown-spn': async (job) => {
    const res = await createFetch(new HTTPSPNEGOAuth({ targetName: `HTTP@nosuchservice.${job.hostname}` }))(
      new URL('/private/', job.url),
    );
    await res.arrayBuffer();
    const error = negotiateErrorOf(res);
    return { status: res.status, error: error ? describeError(error) : null };
  },
  'fetch-password': async (job) => {
    const res = await createFetch(
      new HTTPSPNEGOAuth({
        creds: { principal: job.principal, password: job.password },
        mutualAuthentication: REQUIRED,
      }),
    )(new URL('/private/', job.url));
    return { status: res.status, user: (await body(res)).user, error: describeMaybe(negotiateErrorOf(res)) };
  },
  'fetch-wrong-password': async (job) => {
    const res = await createFetch(
      new HTTPSPNEGOAuth({ creds: { principal: job.principal, password: `${job.password}-wrong` } }),
    )(new URL('/private/', job.url));
    await res.arrayBuffer();
    return { status: res.status, error: describeMaybe(negotiateErrorOf(res)) };
  },
  'fetch-no-ticket': async (job) => {
    const res = await createFetch(new HTTPSPNEGOAuth())(new URL('/private/', job.url));
    await res.arrayBuffer();
    return { status: res.status, error: describeMaybe(negotiateErrorOf(res)) };
  },
  'context-wrong-password': (job) => passwordContext(job, `${job.password}-wrong`),
  'raw-package-list': (job) => rawPackageList(job),
  'credentials-kerberos-only': async (job) => {
    // What the client's default credentials are under allowNtlm: false, and that they work.
    const creds = await Credentials.acquire({ negotiableMechs: [OID.KRB5] });
    try {
      const res = await createFetch(new HTTPSPNEGOAuth({ creds, mutualAuthentication: REQUIRED }))(
        new URL('/private/', job.url),
      );
      let limitLater: unknown = null;
      try {
        creds.setNegotiableMechs([OID.KRB5]);
      } catch (error) {
        limitLater = describeError(error);
      }
      return {
        wine: wineVersion(),
        limitLater,
        negotiableMechs: creds.negotiableMechs?.map(String) ?? null,
        status: res.status,
        user: (await body(res)).user,
      };
    } finally {
      creds.dispose();
    }
  },
  'lockout-five': (job) => wrongPasswordRequests(job, job.lockout!.five),
  'lockout-retry': (job) => wrongPasswordRequests(job, job.lockout!.retry, { retry: true }),
  'lockout-burst': (job) => wrongPasswordRequests(job, job.lockout!.burst, { together: true }),
  'lockout-ntlm-allowed': (job) => wrongPasswordRequests(job, job.lockout!.ntlmAllowed, { allowNtlm: true }),
  'context-password': (job) => passwordContext(job, job.password),
  'auth-keytab-refused': async () => {
    try {
      new HTTPSPNEGOAuth({ creds: { keytab: 'C:\\no.keytab' } });
      return { thrown: null };
    } catch (error) {
      return { thrown: describeError(error) };
    }
  },
  'credentials-ccache-refused': async () => {
    try {
      await Credentials.acquire({ store: { ccache: 'FILE:C:\\cc' } });
      return { thrown: null };
    } catch (error) {
      return { thrown: describeError(error) };
    }
  },
  'undici-mutual': async (job) => {
    const agent = new Agent();
    try {
      const res = await undiciRequest(new URL('/private/', job.url), {
        dispatcher: agent.compose(negotiate(new HTTPSPNEGOAuth({ mutualAuthentication: REQUIRED }))),
      });
      const json = (await res.body.json()) as Record<string, unknown>;
      return { status: res.statusCode, user: json.user };
    } finally {
      await agent.close();
    }
  },
  // Last: every native allocation of every SSPI call above has been wiped and freed.
  allocations: async () => ({ outstanding: sspiOutstandingAllocations() }),
  'axios-mutual': async (job) => {
    const client = withNegotiate(axios.create(), new HTTPSPNEGOAuth({ mutualAuthentication: REQUIRED }));
    const res = await client.get(new URL('/private/', job.url).href);
    return { status: res.status, user: (res.data as Record<string, unknown>).user };
  },
};

function describeMaybe(error: unknown) {
  return error ? describeError(error) : null;
}

async function main(): Promise<void> {
  const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as WineJob;
  const only = process.argv[3]?.split(',');
  const results: Record<string, ScenarioResult> = {};
  // In the order asked: a password login may leave a ticket behind for later scenarios.
  for (const name of only ?? Object.keys(scenarios)) {
    const run = scenarios[name];
    if (!run) throw new Error(`no scenario ${name}`);
    const start = performance.now();
    try {
      const value = await run(job);
      results[name] = { ok: true, ms: Math.round(performance.now() - start), value };
    } catch (error) {
      results[name] = { ok: false, ms: Math.round(performance.now() - start), error: describeError(error) };
    }
  }
  const result: WineResult = { platform: process.platform, node: process.version, scenarios: results };
  writeFileSync(job.resultPath, JSON.stringify(result, null, 2));
}

main().catch((error: unknown) => {
  const job = process.argv[2] ? (JSON.parse(readFileSync(process.argv[2], 'utf8')) as WineJob) : null;
  if (job) writeFileSync(job.resultPath, JSON.stringify({ fatal: describeError(error) }));
  process.exitCode = 1;
});
