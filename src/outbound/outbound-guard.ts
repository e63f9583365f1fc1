import { promises as dns } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent, buildConnector } from 'undici';

/** Who may be fetched: public addresses, plus private ones when allowed or allowlisted. */
export interface OutboundPolicy {
  allowPrivate: boolean;
  /**
   * Always allowed: host names (exact), IP addresses or CIDRs, each on any port, or with `:port` (`[v6]:port`)
   * on that port only.
   */
  allowlist: readonly string[];
}

/** The setting that would allow a refused private or loopback address. */
export const OUTBOUND_SETTINGS = 'OUTBOUND_ALLOWLIST or OUTBOUND_ALLOW_PRIVATE';

/** A connection refused before any byte left, with the reason. */
export class OutboundRefused extends Error {
  constructor(
    message: string,
    /** The address refused; undefined when the host did not resolve or the URL is not fetchable. */
    readonly address?: string,
    /** The setting that would allow it; undefined when nothing would (metadata, link-local, bad URL). */
    readonly setting?: string,
  ) {
    super(message);
    this.name = 'OutboundRefused';
  }
}

function blockList(ranges: [string, number, 'ipv4' | 'ipv6'][]): BlockList {
  const list = new BlockList();
  for (const [network, prefix, type] of ranges) list.addSubnet(network, prefix, type);
  return list;
}

/** Cloud metadata endpoints: refused whatever the policy says. */
const METADATA = blockList([
  ['169.254.169.254', 32, 'ipv4'],
  ['100.100.100.200', 32, 'ipv4'],
  ['fd00:ec2::254', 128, 'ipv6'],
]);

/** Link-local, `this network`, multicast, reserved and deprecated site-local: never a controller. */
const NEVER = blockList([
  ['0.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['224.0.0.0', 3, 'ipv4'],
  ['fe80::', 10, 'ipv6'],
  ['fec0::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
]);

/** Private and loopback ranges: allowed with OUTBOUND_ALLOW_PRIVATE or the allowlist. */
const PRIVATE = blockList([
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['::1', 128, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  // Local-use NAT64 (RFC 8215): translates into the operator's own network.
  ['64:ff9b:1::', 48, 'ipv6'],
]);

/** Connecting to the unspecified address reaches this host: treated as loopback. */
const UNSPECIFIED_AS = '127.0.0.1';

/** The 16 bytes of an IPv6 address (node validated it), with a trailing dotted IPv4 allowed. */
function ipv6Bytes(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split('.').map(Number);
    text = text.slice(0, -dotted[1].length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]);
}

const ipv4 = (bytes: number[]) => bytes.join('.');

/**
 * The IPv4 addresses an IPv6 address carries, which is where a connection to it may end up: IPv4-mapped
 * (`::ffff:0:0/96`), SIIT-translated (`::ffff:0:0:0/96`), IPv4-compatible (`::/96`), NAT64 (`64:ff9b::/96`, and
 * `64:ff9b:1::/48` in its /96 form), 6to4 (`2002::/16`) and Teredo (`2001::/32`: server and client).
 */
export function embeddedIpv4(address: string): string[] {
  if (isIP(address) !== 6) return [];
  const b = ipv6Bytes(address);
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const last = ipv4(b.slice(12));
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return [last];
  if (zeros(0, 8) && b[8] === 0xff && b[9] === 0xff && zeros(10, 12)) return [last];
  if (zeros(0, 12) && !(zeros(12, 15) && b[15] <= 1)) return [last]; // ::/96 but :: and ::1
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 6)) return [last];
  if (b[0] === 0x20 && b[1] === 0x02) return [ipv4(b.slice(2, 6))];
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x00 && b[3] === 0x00) {
    return [ipv4(b.slice(4, 8)), ipv4(b.slice(12).map((x) => x ^ 0xff))];
  }
  return [];
}

/** One allowlist entry: a host name or an address range, on one port or any. */
interface AllowRule {
  host?: string;
  range?: BlockList;
  port?: number;
}

function parseRule(entry: string): AllowRule {
  const text = entry.trim().toLowerCase();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const withPort = /^([^:]+):(\d+)$/.exec(text);
  const [target, port] = bracketed ? [bracketed[1], bracketed[2]] : withPort ? [withPort[1], withPort[2]] : [text, undefined];
  const [address, prefix] = target.split('/');
  const type = isIP(address);
  const rule: AllowRule = { port: port === undefined ? undefined : Number(port) };
  if (type === 0) return { ...rule, host: target };
  rule.range = new BlockList();
  if (prefix !== undefined) rule.range.addSubnet(address, Number(prefix), type === 4 ? 'ipv4' : 'ipv6');
  else rule.range.addAddress(address, type === 4 ? 'ipv4' : 'ipv6');
  return rule;
}

const familyOf = (ip: string) => (isIP(ip) === 6 ? 'ipv6' : 'ipv4');

/** Redirect statuses fetches follow; a PUT follows only the two that keep its method and body. */
export const GET_REDIRECTS: readonly number[] = [301, 302, 303, 307, 308];
export const PUT_REDIRECTS: readonly number[] = [307, 308];

/** What `OutboundGuard.fetch` answered: the first response not followed, where it came from, after how many hops. */
export interface GuardedResponse {
  response: Response;
  url: URL;
  hops: number;
}

/** An http(s) URL without credentials, or OutboundRefused. */
export function fetchableUrl(raw: string | URL, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    throw new OutboundRefused(`not a URL: ${String(raw).slice(0, 80)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new OutboundRefused(`only http and https URLs are used, not ${url.protocol}`);
  if (url.username || url.password) throw new OutboundRefused('URLs with credentials are refused');
  return url;
}

/** The port a URL connects to. */
export function portOf(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === 'https:' || url.protocol === 'wss:' ? 443 : 80;
}

/**
 * Checks every outbound connection of the service (references, Data Store, callbacks, /face_match URLs):
 * the host is resolved, every address checked, and the connection made to the checked address, so redirects
 * and DNS rebinding are checked too.
 */
export class OutboundGuard {
  private readonly rules: AllowRule[];
  /** The undici dispatcher to pass to fetch: its connections go through the check. */
  readonly dispatcher: Agent;

  constructor(private readonly policy: OutboundPolicy) {
    this.rules = policy.allowlist.map(parseRule);
    const connect = buildConnector({});
    this.dispatcher = new Agent({
      connect: (options, callback) => {
        const port = Number(options.port) || (options.protocol === 'https:' ? 443 : 80);
        this.resolve(options.hostname, port).then(
          (address) => connect({ ...options, hostname: address }, callback),
          (error: Error) => callback(error, null),
        );
      },
    });
  }

  /**
   * Why `address` (reached as `hostname`, on `port` when known) may not be contacted, or undefined when it may.
   * Embedded IPv4 addresses get the IPv4 rules; the most restrictive answer wins.
   */
  refusal(address: string, hostname: string, port?: number): string | undefined {
    return this.refusedBy(address, hostname, port)?.message;
  }

  /** Throws OutboundRefused when a URL's literal address is refused (DNS names are checked at connect). */
  assertUrl(url: URL): void {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) === 0) return;
    const refused = this.refusedBy(host, host, portOf(url));
    if (refused) throw refused;
  }

  /**
   * Resolves `hostname` and checks every address it has; resolves to the first (the one to connect to), or
   * rejects with OutboundRefused (address and the setting that would allow it, when one would) or a DNS error.
   */
  async resolve(hostname: string, port: number): Promise<string> {
    const host = hostname.replace(/^\[|\]$/g, '');
    const addresses = isIP(host) ? [host] : (await dns.lookup(host, { all: true, verbatim: true })).map((a) => a.address);
    for (const address of addresses) {
      const refused = this.refusedBy(address, host, port);
      if (refused) throw refused;
    }
    return addresses[0];
  }

  /**
   * Whether a URL can be fetched now: http(s), no credentials, its host resolves and every address is allowed.
   * Resolves to the checked address; rejects with OutboundRefused saying why (a host that does not resolve too).
   */
  async checkUrl(raw: string | URL): Promise<string> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new OutboundRefused(`not a URL: ${String(raw).slice(0, 80)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new OutboundRefused(`only http and https URLs are used, not ${url.protocol}`);
    if (url.username || url.password) throw new OutboundRefused('URLs with credentials are refused');
    try {
      return await this.resolve(url.hostname, portOf(url));
    } catch (error) {
      if (error instanceof OutboundRefused) throw error;
      throw new OutboundRefused(`${url.hostname} does not resolve: ${(error as Error).message}`);
    }
  }

  /**
   * fetch through the guard, following redirects of the given statuses by hand (at most `maxRedirects`), each hop
   * re-checked; the first answer not followed is returned, a 3xx one too (its body cancelled).
   */
  async fetch(url: URL, init: RequestInit, redirects: { max: number; statuses: readonly number[] }): Promise<GuardedResponse> {
    for (let hops = 0; ; hops++) {
      this.assertUrl(url);
      const response = await fetch(url, { ...init, redirect: 'manual', dispatcher: this.dispatcher } as RequestInit);
      const location = response.headers.get('location');
      if (!redirects.statuses.includes(response.status) || !location || hops >= redirects.max) {
        if (response.status >= 300 && response.status < 400) await response.body?.cancel();
        return { response, url, hops };
      }
      await response.body?.cancel();
      url = fetchableUrl(location, url);
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  /** Nest calls this at shutdown. */
  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  private allowlisted(ip: string, hostname: string, port: number | undefined): boolean {
    const host = hostname.toLowerCase();
    return this.rules.some(
      (rule) => (rule.port === undefined || rule.port === port) && (rule.host === host || rule.range?.check(ip, familyOf(ip)) === true),
    );
  }

  private refusedBy(address: string, hostname: string, port: number | undefined): OutboundRefused | undefined {
    const candidates = [address, ...embeddedIpv4(address)];
    for (const candidate of candidates) {
      const refused = this.refusedOne(candidate, hostname, port);
      if (refused) return refused;
    }
    return undefined;
  }

  private refusedOne(address: string, hostname: string, port: number | undefined): OutboundRefused | undefined {
    const shown = address === '0.0.0.0' || address === '::' ? `${address}, this host` : address;
    const ip = address === '0.0.0.0' || address === '::' ? UNSPECIFIED_AS : address;
    const type = familyOf(ip);
    if (METADATA.check(ip, type)) return new OutboundRefused(`${hostname} resolves to a cloud metadata address (${shown})`, address);
    if (this.allowlisted(ip, hostname, port)) return undefined;
    if (NEVER.check(ip, type)) {
      return new OutboundRefused(`${hostname} resolves to a link-local, reserved or multicast address (${shown})`, address);
    }
    if (PRIVATE.check(ip, type) && !this.policy.allowPrivate) {
      return new OutboundRefused(
        `${hostname} resolves to a private or loopback address (${shown}); set ${OUTBOUND_SETTINGS}`,
        address,
        OUTBOUND_SETTINGS,
      );
    }
    return undefined;
  }
}

/** The OutboundRefused behind a failed fetch, if that is why it failed. */
export function refusalOf(error: unknown): OutboundRefused | undefined {
  for (let e = error; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    if (e instanceof OutboundRefused) return e;
  }
  return undefined;
}
