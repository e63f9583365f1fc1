import { lookup, LookupAddress, promises as dns } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent } from 'undici';

/** Who may be fetched: public addresses, plus private ones when allowed or allowlisted. */
export interface OutboundPolicy {
  allowPrivate: boolean;
  /** Host names (exact), IP addresses or CIDRs that are always allowed. */
  allowlist: readonly string[];
  /** The setting named when a private or loopback address is refused; OUTBOUND_ALLOWLIST or OUTBOUND_ALLOW_PRIVATE by default. */
  setting?: string;
}

/** A fetch refused before any byte left, with the reason. */
export class OutboundRefused extends Error {
  constructor(message: string) {
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

/** Link-local, unspecified and multicast: never a controller. */
const NEVER = blockList([
  ['0.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['224.0.0.0', 3, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
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
]);

/** 1.2.3.4 from ::ffff:1.2.3.4, so mapped addresses get the IPv4 rules. */
function unmapped(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1] : address;
}

/**
 * Checks every outbound connection of the service (references, Data Store, callbacks, /face_match URLs)
 * at connect time, after DNS resolution, so redirects and DNS rebinding are checked too.
 */
export class OutboundGuard {
  private readonly allowedHosts: Set<string>;
  private readonly allowedRanges = new BlockList();
  /** The undici dispatcher to pass to fetch: its connections go through the check. */
  readonly dispatcher: Agent;

  constructor(private readonly policy: OutboundPolicy) {
    this.allowedHosts = new Set();
    for (const entry of policy.allowlist) {
      const [address, prefix] = entry.split('/');
      const type = isIP(address);
      if (type === 0) this.allowedHosts.add(entry.toLowerCase());
      else if (prefix !== undefined) this.allowedRanges.addSubnet(address, Number(prefix), type === 4 ? 'ipv4' : 'ipv6');
      else this.allowedRanges.addAddress(address, type === 4 ? 'ipv4' : 'ipv6');
    }
    this.dispatcher = new Agent({ connect: { lookup: (host, options, callback) => this.lookup(host, options, callback) } });
  }

  /** Why `address` (reached as `hostname`) may not be contacted, or undefined when it may. */
  refusal(address: string, hostname: string): string | undefined {
    const ip = unmapped(address);
    const type = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    if (METADATA.check(ip, type)) return `${hostname} resolves to a cloud metadata address (${ip})`;
    const allowlisted = this.allowedHosts.has(hostname.toLowerCase()) || this.allowedRanges.check(ip, type);
    if (allowlisted) return undefined;
    if (NEVER.check(ip, type)) return `${hostname} resolves to a link-local, unspecified or multicast address (${ip})`;
    if (PRIVATE.check(ip, type) && !this.policy.allowPrivate) {
      return `${hostname} resolves to a private or loopback address (${ip}); set ${this.policy.setting ?? 'OUTBOUND_ALLOWLIST or OUTBOUND_ALLOW_PRIVATE'}`;
    }
    return undefined;
  }

  /** Throws OutboundRefused when a URL's literal address is refused (DNS names are checked at connect). */
  assertUrl(url: URL): void {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) === 0) return;
    const why = this.refusal(host, host);
    if (why) throw new OutboundRefused(why);
  }

  /**
   * Resolves `hostname` and checks every address it has; resolves to the first (the one to connect to), or
   * rejects with OutboundRefused or a DNS error. (`port` is for allowlist entries with a port.)
   */
  async resolve(hostname: string, port: number): Promise<string> {
    void port;
    const host = hostname.replace(/^\[|\]$/g, '');
    const addresses = isIP(host) ? [host] : (await dns.lookup(host, { all: true, verbatim: true })).map((a) => a.address);
    const why = addresses.map((a) => this.refusal(a, host)).find(Boolean);
    if (why) throw new OutboundRefused(why);
    return addresses[0];
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  /** Nest calls this at shutdown. */
  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  private lookup(
    hostname: string,
    options: object,
    callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void {
    lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const why = addresses.map((a) => this.refusal(a.address, hostname)).find(Boolean);
      if (why) return callback(new OutboundRefused(why), []);
      callback(null, addresses);
    });
  }
}

/** The OutboundRefused behind a failed fetch, if that is why it failed. */
export function refusalOf(error: unknown): OutboundRefused | undefined {
  for (let e = error; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    if (e instanceof OutboundRefused) return e;
  }
  return undefined;
}
