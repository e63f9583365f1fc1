import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import type { types } from 'mediasoup-client';
import { OutboundGuard, OutboundRefused } from '../outbound/outbound-guard';

/** The setting that allows a private or loopback room server. */
export const ROOM_SERVER_SETTING = 'ROOM_SERVER_ALLOWLIST';

/** The port a ws:// or wss:// URL connects to. */
function portOf(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === 'wss:' ? 443 : 80;
}

/** `stun:`/`turn:` URL parts (RFC 7064/7065): scheme, host (IPv4, [IPv6] or name), optional port and transport. */
const ICE_URL = /^(stuns?|turns?):(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?(?:\?transport=(udp|tcp))?$/i;

/** net's lookup callback, in both its single-address and `all` forms. */
type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** What is left of a room server's announcements once the policy has seen them. */
export interface CheckedAnnouncements {
  iceCandidates: types.IceCandidate[];
  iceServers: RTCIceServer[];
  /** One line per dropped candidate or ICE server URL, saying why. */
  dropped: string[];
}

/**
 * The outbound policy of the room: the room server (ws_url) and the ICE candidates and TURN/STUN servers it
 * announces. It is the outbound guard with its own allowlist (ROOM_SERVER_ALLOWLIST) and no private addresses
 * by default; the addresses the room server itself resolved to are allowed for its announcements too.
 */
export class RoomServerPolicy {
  private readonly guard: OutboundGuard;
  private closing?: Promise<void>;

  constructor(allowlist: readonly string[]) {
    this.guard = new OutboundGuard({ allowPrivate: false, allowlist, setting: ROOM_SERVER_SETTING });
  }

  /** Why ws_url may not be joined (resolved now), or undefined when it may; a DNS hiccup is left to connect time. */
  async refusal(wsUrl: string): Promise<string | undefined> {
    const url = new URL(wsUrl);
    try {
      await this.guard.resolve(url.hostname, portOf(url));
      return undefined;
    } catch (error) {
      if (error instanceof OutboundRefused) return error.message;
      if ((error as NodeJS.ErrnoException).code === 'ENOTFOUND') return `${url.hostname} does not resolve`;
      return undefined;
    }
  }

  /**
   * A `lookup` for the room's WebSocket: resolves, checks every address and hands the socket the checked one,
   * which `onResolved` is told (the room server's own address, allowed for its announcements).
   */
  lookup(port: number, onResolved: (address: string) => void) {
    return (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
      this.guard.resolve(hostname, port).then(
        (address) => {
          onResolved(address);
          const family = isIP(address);
          if (options.all) callback(null, [{ address, family }]);
          else callback(null, address, family);
        },
        (error: NodeJS.ErrnoException) => callback(error, []),
      );
    };
  }

  /**
   * The candidates and ICE servers of a createWebRtcTransport answer that may be contacted: malformed ICE server
   * URLs (the 2060 server hands `turn:undefined:undefined?transport=undefined` when TURN is unset) and targets the
   * policy refuses are dropped; DNS names of STUN/TURN servers are resolved and replaced by the checked address.
   */
  async check(
    candidates: types.IceCandidate[],
    servers: RTCIceServer[] | undefined,
    roomServerAddress: string | undefined,
  ): Promise<CheckedAnnouncements> {
    const dropped: string[] = [];
    const allowed = (address: string) => address === roomServerAddress || !this.guard.refusal(address, address);
    const iceCandidates = candidates.filter((c) => {
      const address = c.address ?? c.ip;
      if (typeof address === 'string' && isIP(address) && allowed(address)) return true;
      dropped.push(`ICE candidate ${String(address)}:${c.port} refused: ${this.why(String(address))}`);
      return false;
    });
    const iceServers: RTCIceServer[] = [];
    for (const server of Array.isArray(servers) ? servers : []) {
      const urls: string[] = [];
      for (const raw of typeof server?.urls === 'string' ? [server.urls] : Array.isArray(server?.urls) ? server.urls : []) {
        const checked = await this.checkIceUrl(String(raw), server, roomServerAddress);
        if (typeof checked === 'string') urls.push(checked);
        else dropped.push(`ICE server ${JSON.stringify(String(raw).slice(0, 100))} dropped: ${checked.why}`);
      }
      if (urls.length > 0) iceServers.push({ ...server, urls });
    }
    return { iceCandidates, iceServers, dropped };
  }

  /** Idempotent: the transport is closed by its owner and by the application's shutdown. */
  close(): Promise<void> {
    this.closing ??= this.guard.close();
    return this.closing;
  }

  private why(address: string): string {
    if (!isIP(address)) return 'not an IP address';
    return this.guard.refusal(address, address) ?? 'refused';
  }

  /** The URL to use (host replaced by its checked address, but for TLS), or why it is dropped. */
  private async checkIceUrl(raw: string, server: RTCIceServer, roomServerAddress: string | undefined): Promise<string | { why: string }> {
    const parts = ICE_URL.exec(raw);
    if (!parts) return { why: 'malformed URL (scheme:host[:port][?transport=udp|tcp])' };
    const [, scheme, host, port, transport] = parts;
    if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return { why: `port ${port} out of range` };
    const turn = scheme.toLowerCase().startsWith('turn');
    if (turn && (typeof server.username !== 'string' || !server.username || typeof server.credential !== 'string')) {
      return { why: 'TURN without username and credential' };
    }
    const name = host.replace(/^\[|\]$/g, '');
    let address: string;
    try {
      address = isIP(name) && name === roomServerAddress ? name : await this.guard.resolve(name, Number(port ?? 3478));
    } catch (error) {
      return { why: error instanceof OutboundRefused ? error.message : `${name} does not resolve` };
    }
    // TLS needs the name it checks the certificate against; the others connect to the checked address.
    if (scheme.toLowerCase().endsWith('s')) return raw;
    const target = isIP(address) === 6 ? `[${address}]` : address;
    return `${scheme}:${target}${port ? `:${port}` : ''}${transport ? `?transport=${transport}` : ''}`;
  }
}
