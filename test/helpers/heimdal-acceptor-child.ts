/**
 * Acceptor credentials from a keytab in a process that loads the library HTTP_GSSAPI_LIBRARY
 * names (Heimdal 7: no gss_acquire_cred_from, so the keytab is registered process-wide). Argv:
 * <service keytab> <another service's keytab> <missing keytab> <target>. Prints one
 * `step <json>` line per acquisition tried, in order, then `exchange <json>` for a context this
 * process initiates (default ccache) and accepts with the service keytab's credentials, and
 * `default <json>` for one accepted with default acceptor credentials.
 */
import { Credentials, GSSError, Name, NameType, SecurityContext } from '../../src/gssapi/index.js';
import { GssapiLibraryError } from '../../src/gssapi/raw/index.js';

const [serviceKeytab, otherKeytab, missingKeytab, target] = process.argv.slice(2);
const out = (kind: string, value: unknown) => process.stdout.write(`${kind} ${JSON.stringify(value)}\n`);

const outcome = async (label: string, store: Record<string, string>) => {
  try {
    const creds = await Credentials.acquire({ usage: 'accept', store });
    out('step', { label, ok: true, usage: creds.usage });
    return creds;
  } catch (error) {
    const coded = error instanceof GSSError || error instanceof GssapiLibraryError;
    out('step', { label, ok: false, code: coded ? error.code : null, message: String(error) });
    return null;
  }
};

(await outcome('missing', { keytab: missingKeytab! }))?.dispose();
const [first, second] = await Promise.all([
  outcome('service', { keytab: serviceKeytab! }),
  outcome('service again, at once, as FILE:', { keytab: `FILE:${serviceKeytab}` }),
]);
second?.dispose();
(await outcome('other', { keytab: otherKeytab! }))?.dispose();
(await outcome('keytab and rcache', { keytab: serviceKeytab!, rcache: 'none:' }))?.dispose();

/** Initiates with the default ccache and accepts with `creds` (null: default acceptor credentials). */
async function exchange(creds: Credentials | null) {
  const initiator = new SecurityContext({
    usage: 'initiate',
    name: new Name(target!, NameType.hostbasedService),
  });
  const acceptor = new SecurityContext({ usage: 'accept', creds });
  try {
    let token = await initiator.step();
    while (token && !acceptor.complete) {
      const reply = await acceptor.step(token);
      token = reply && !initiator.complete ? await initiator.step(reply) : null;
    }
    return { complete: acceptor.complete, initiator: String(acceptor.initiatorName) };
  } catch (error) {
    return { error: String(error) };
  } finally {
    initiator.dispose();
    acceptor.dispose();
  }
}

if (first) {
  out('exchange', await exchange(first));
  first.dispose();
  // The registration holds for the whole process: default acceptor credentials read it too
  // (the parent points KRB5_KTNAME elsewhere).
  out('default', await exchange(null));
}
