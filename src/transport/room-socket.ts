import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import WebSocket from 'ws';
import Message from 'protoo-client/lib/Message';
import type { RoomServerPolicy } from './room-server-policy';

/** What a room may make the service receive. */
export interface RoomSocketLimits {
  /** Largest protoo message accepted, bytes. */
  maxMessageBytes: number;
  /** Messages (requests, notifications, answers) accepted per second. */
  maxMessagesPerSecond: number;
}

/** How the socket ended. */
export interface RoomSocketEnd {
  /** Whether it had opened. */
  opened: boolean;
  code: number;
  reason: string;
  /** The bound the room broke, named after its setting, when that is why it ended. */
  bound?: string;
}

/**
 * protoo-client's WebSocket transport, rewritten on `ws` so the room is untrusted input: the host is resolved and
 * checked by the room policy and the socket connects to the checked address; no redirects, no compression, no
 * reconnection (the server drops a peer whose socket closed); messages over the size bound or over the rate bound
 * end it, and so does an opening handshake that takes too long. Emits what protoo-client's Peer listens to: open, failed, close and message.
 */
export class RoomSocket extends EventEmitter {
  /** Set once the socket ended; `close` follows. */
  end?: RoomSocketEnd;
  /** The address the room server resolved to. */
  serverAddress?: string;
  private readonly ws: WebSocket;
  private opened = false;
  private windowStart = 0;
  private windowCount = 0;

  constructor(
    url: string,
    policy: RoomServerPolicy,
    private readonly limits: RoomSocketLimits,
    /** The opening handshake (connect included) must complete within this, or the socket fails. */
    openTimeoutMs: number,
  ) {
    super();
    const parsed = new URL(url);
    const port = parsed.port ? Number(parsed.port) : parsed.protocol === 'wss:' ? 443 : 80;
    // An IP literal is connected to without a lookup: it is the address (ProtooTransport checked it).
    const literal = parsed.hostname.replace(/^\[|\]$/g, '');
    if (isIP(literal)) this.serverAddress = literal;
    this.ws = new WebSocket(url, 'protoo', {
      lookup: policy.lookup(port, (address) => (this.serverAddress = address)),
      maxPayload: limits.maxMessageBytes,
      perMessageDeflate: false,
      followRedirects: false,
      handshakeTimeout: openTimeoutMs,
    } as WebSocket.ClientOptions);
    this.ws.on('open', () => {
      this.opened = true;
      this.emit('open');
    });
    this.ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    // An error ends the socket at once: waiting for the close handshake would let a flooding server go on.
    this.ws.on('error', (error: NodeJS.ErrnoException) => {
      const tooBig = error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
      const bound = tooBig ? `ROOM_MAX_MESSAGE_BYTES (${this.limits.maxMessageBytes} bytes)` : undefined;
      this.finish({ opened: this.opened, code: tooBig ? 1009 : 1006, reason: error.message.slice(0, 200), bound });
    });
    this.ws.on('close', (code, reason) => this.finish({ opened: this.opened, code, reason: reason.toString().slice(0, 200) }));
  }

  get closed(): boolean {
    return this.end !== undefined;
  }

  /** Closes the socket now (protoo-client's transport contract). */
  close(): void {
    this.finish({ opened: this.opened, code: 1000, reason: 'closed by the service' });
  }

  async send(message: unknown): Promise<void> {
    if (this.end) throw new Error('transport closed');
    this.ws.send(JSON.stringify(message));
  }

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.end) return;
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.windowCount = 0;
    }
    if (++this.windowCount > this.limits.maxMessagesPerSecond) {
      const bound = `ROOM_MAX_MESSAGES_PER_S (${this.limits.maxMessagesPerSecond} a second)`;
      this.finish({ opened: true, code: 1008, reason: `over ${bound}`, bound });
      return;
    }
    if (isBinary) return;
    const message = Message.parse(data.toString());
    if (message) this.emit('message', message);
  }

  private finish(end: RoomSocketEnd): void {
    if (this.end) return;
    this.end = end;
    this.ws.removeAllListeners('message');
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(end.code === 1000 ? 1000 : 1008);
    else this.ws.terminate();
    if (!end.opened) this.emit('failed', 1);
    this.emit('close');
  }
}
