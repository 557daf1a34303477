/**
 * `NO_PROXY`: the hosts a request reaches without its proxy. There is no standard for the
 * variable; this reads it the way curl (7.86 and later), Go's `httpproxy` and Python's
 * `urllib` agree on, and decides the cases where they differ (each decision is in
 * {@link NoProxyList}'s comment and in docs/adapters.md).
 *
 * @module
 */
import { BlockList, isIP } from 'node:net';

/** A host name or an IP address as written, with the port it is limited to (0: any). */
interface HostEntry {
  readonly kind: 'host';
  /** The entry as written, for diagnostics (`doctor` names the entry that bypassed). */
  readonly text: string;
  /** Lower case, without a trailing dot; an IPv6 address without brackets, compressed. */
  readonly hostname: string;
  /** An IP address matches itself only; a name matches its subdomains too. */
  readonly ip: boolean;
  readonly port: number;
}

/** An address range (`10.0.0.0/8`, `fd00::/8`): any port. */
interface RangeEntry {
  readonly kind: 'range';
  readonly text: string;
  readonly range: BlockList;
}

type Entry = HostEntry | RangeEntry;

const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443 };

/**
 * An IPv6 address in the form the WHATWG URL parser gives a host (compressed, lower case), or
 * null for text that is not one. Comparing that form makes `0:0:0:0:0:0:0:1` match `::1`.
 */
function canonicalIPv6(text: string): string | null {
  if (isIP(text) !== 6) return null;
  try {
    return new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
}

/** The trailing dot of a fully qualified name dropped: `example.org.` is `example.org`. */
const withoutTrailingDot = (name: string) => (name.endsWith('.') ? name.slice(0, -1) : name);

/** One entry, or null for one that can never match (a malformed range, a `*` in a list). */
function parseEntry(text: string): Entry | null {
  // `[::1]` or `[::1]:8080`: a bracketed IPv6 address, as in a URL, with an optional port.
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    const hostname = canonicalIPv6(bracketed[1]!);
    if (hostname === null) return null;
    return { kind: 'host', text, hostname, ip: true, port: bracketed[2] ? Number(bracketed[2]) : 0 };
  }
  // `10.0.0.0/8`, `::1/128`: an address range (curl 7.86+ and Go accept these; no name is
  // resolved to check it, so it matches URLs whose host is an address in the range).
  const cidr = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (cidr) {
    const family = isIP(cidr[1]!);
    const prefix = Number(cidr[2]);
    if (family === 0 || prefix > (family === 4 ? 32 : 128)) return null;
    const range = new BlockList();
    range.addSubnet(cidr[1]!, prefix, family === 4 ? 'ipv4' : 'ipv6');
    return { kind: 'range', text, range };
  }
  // `::1`, `fe80::1`: an unbracketed IPv6 address is the whole entry. Its last group is not a
  // port (reading `::1` as host `:` port `1` is the defect this file was written to fix).
  const ipv6 = canonicalIPv6(text);
  if (ipv6 !== null) return { kind: 'host', text, hostname: ipv6, ip: true, port: 0 };
  const withPort = /^(.+):(\d+)$/.exec(text);
  const name = withPort ? withPort[1]! : text;
  const port = withPort ? Number(withPort[2]) : 0;
  // `.example.org` and `*.example.org` mean what `example.org` means: the domain and every
  // name under it (curl, Go and undici drop the leading dot the same way).
  const hostname = withoutTrailingDot(name.replace(/^\*?\./, '').toLowerCase());
  if (hostname === '' || hostname.includes('*')) return null;
  return { kind: 'host', text, hostname, ip: isIP(hostname) !== 0, port };
}

/**
 * A parsed `NO_PROXY` value. What it accepts, entry by entry (comma or white space separated,
 * case-insensitive):
 *
 * - `*` as the whole value: every host goes direct. A `*` among other entries matches nothing
 *   (curl and Python look at the whole value only; so did undici, which this replaced).
 * - `example.org`, `.example.org`, `*.example.org`: that name and every name under it; no other
 *   wildcard (`a*.example.org` matches nothing).
 * - a trailing dot is ignored on both sides (`example.org.` is `example.org`), as curl does.
 * - `host:port`: that host on that port only (the URL's port, or its scheme's default).
 * - IP addresses: `127.0.0.1`; IPv6 bare (`::1`), or bracketed with an optional port
 *   (`[::1]`, `[::1]:8080`). An address matches that address only, in any spelling
 *   (`0:0::1` is `::1`), never as a suffix of a longer one.
 * - CIDR ranges (`10.0.0.0/8`, `fd00::/8`): URLs whose host is an address in the range. Names
 *   are not resolved to check a range (curl and Go do not either).
 *
 * @example
 * ```ts
 * const list = NoProxyList.parse('localhost,127.0.0.1,::1');
 * list.bypasses(new URL('http://[::1]:8080/')); // true
 * ```
 */
export class NoProxyList {
  readonly #all: boolean;
  readonly #entries: readonly Entry[];

  private constructor(all: boolean, entries: readonly Entry[]) {
    this.#all = all;
    this.#entries = entries;
  }

  /**
   * Reads a `NO_PROXY` value. Entries that can never match (a malformed range, a wildcard
   * elsewhere than in front) are ignored rather than refused: the variable is shared with
   * every other tool, which may read more than this one does.
   *
   * @example
   * ```ts
   * NoProxyList.parse('.corp.example, 10.0.0.0/8');
   * ```
   */
  static parse(value: string): NoProxyList {
    if (value.trim() === '*') return new NoProxyList(true, []);
    const entries: Entry[] = [];
    for (const text of value.split(/[,\s]/)) {
      if (text === '') continue;
      const entry = parseEntry(text);
      if (entry !== null) entries.push(entry);
    }
    return new NoProxyList(false, entries);
  }

  /**
   * Whether `url` goes direct.
   *
   * @example
   * ```ts
   * NoProxyList.parse('.corp.example').bypasses(new URL('https://wiki.corp.example/')); // true
   * ```
   */
  bypasses(url: URL): boolean {
    return this.matching(url) !== null;
  }

  /**
   * The entry that sends `url` direct, as written (`*` for the whole-value wildcard), or null
   * when it goes through the proxy.
   *
   * @example
   * ```ts
   * NoProxyList.parse('other, .corp.example').matching(new URL('https://wiki.corp.example/')); // '.corp.example'
   * ```
   */
  matching(url: URL): string | null {
    if (this.#all) return '*';
    if (this.#entries.length === 0) return null;
    const raw = url.hostname.toLowerCase();
    const bracketed = raw.startsWith('[');
    const hostname = bracketed ? raw.slice(1, -1) : withoutTrailingDot(raw);
    const family = bracketed ? 6 : isIP(hostname);
    const port = Number.parseInt(url.port, 10) || DEFAULT_PORTS[url.protocol] || 0;
    const found = this.#entries.find((entry) => {
      if (entry.kind === 'range') {
        return family !== 0 && entry.range.check(hostname, family === 4 ? 'ipv4' : 'ipv6');
      }
      if (entry.port !== 0 && entry.port !== port) return false;
      if (hostname === entry.hostname) return true;
      // A name entry covers the names under it; an address is never a suffix of another.
      return !entry.ip && family === 0 && hostname.endsWith(`.${entry.hostname}`);
    });
    return found?.text ?? null;
  }
}
