/**
 * A GSSAPI initiator in its own process, so a test can load another library (Heimdal through
 * HTTP_GSSAPI_LIBRARY) than the MIT acceptor in the test process. Line protocol on stdio:
 * it prints `info <json>`, then `token <base64>`; reads `reply <base64>`; prints `done <json>`.
 * Commands come as argv: <target> <mech: spnego|krb5> [password <principal> <password> | keytab <principal> <path>].
 * HTTP_GSSAPI_TEST_CERTIFICATE (base64 DER) binds the context to that certificate (RFC 5929 tls-server-end-point).
 */
import { createInterface } from 'node:readline';
import {
  ChannelBindings,
  Credentials,
  GSSError,
  Name,
  NameType,
  OID,
  SecurityContext,
} from '../../src/gssapi/index.js';
import { loadGssapiLibrary } from '../../src/gssapi/raw/index.js';

const [target, mechName, credKind, principal, secret] = process.argv.slice(2);
const out = (kind: string, value: unknown) =>
  process.stdout.write(`${kind} ${typeof value === 'string' ? value : JSON.stringify(value)}\n`);

const certificate = process.env['HTTP_GSSAPI_TEST_CERTIFICATE'];
const { info } = loadGssapiLibrary();
out('info', { provider: info.provider, path: info.path, capabilities: info.capabilities });
let creds: Credentials | null = null;
try {
  if (credKind === 'password')
    creds = await Credentials.withPassword({ name: principal!, password: secret! });
  if (credKind === 'keytab') {
    creds = await Credentials.acquire({
      name: principal!,
      store: { client_keytab: secret!, ccache: 'MEMORY:child' },
    });
  }
  const ctx = new SecurityContext({
    usage: 'initiate',
    name: new Name(target!, NameType.hostbasedService),
    mech: mechName === 'krb5' ? OID.KRB5 : OID.SPNEGO,
    creds,
    channelBindings: certificate
      ? ChannelBindings.tlsServerEndPoint(Buffer.from(certificate, 'base64'))
      : null,
  });
  const token = await ctx.step();
  out('token', Buffer.from(token!).toString('base64'));
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (!line.startsWith('reply ')) continue;
    await ctx.step(Buffer.from(line.slice(6), 'base64'));
    out('done', { complete: ctx.complete, mutual: ctx.mutualAuthenticated, mech: String(ctx.mech) });
    break;
  }
  ctx.dispose();
} catch (error) {
  out(
    'error',
    error instanceof GSSError
      ? { code: error.code, hint: error.hint, message: error.message }
      : { message: String(error) },
  );
} finally {
  creds?.dispose();
  // The parent keeps our stdin open until we exit; let go of it so the process can end.
  process.stdin.destroy();
}
// No process.exit here: the process ends through Node's normal teardown, which crashed with
// Heimdal before the library was pinned (src/gssapi/raw/library.ts, pinLibrary); the test
// checks the exit status.
