/** The part of protoo-client (untyped upstream) the transport adapter uses. */
declare module 'protoo-client' {
  import { EventEmitter } from 'node:events';

  /** Options of the WebSocket transport; `retry` follows the `retry` package. */
  export interface WebSocketTransportOptions {
    retry?: { retries: number; factor?: number; minTimeout?: number; maxTimeout?: number };
  }

  export class WebSocketTransport extends EventEmitter {
    constructor(url: string, options?: WebSocketTransportOptions);
    readonly closed: boolean;
    close(): void;
  }

  /** A request received from the server. */
  export interface ProtooRequest {
    request: true;
    id: number;
    method: string;
    data?: unknown;
  }

  /** A notification received from the server. */
  export interface ProtooNotification {
    notification: true;
    method: string;
    data?: unknown;
  }

  export class Peer extends EventEmitter {
    /** Any transport with protoo-client's WebSocketTransport events (open, failed, close, message). */
    constructor(transport: WebSocketTransport | EventEmitter);
    readonly closed: boolean;
    readonly connected: boolean;
    close(): void;
    request(method: string, data?: unknown): Promise<any>;
    notify(method: string, data?: unknown): Promise<void>;
    on(event: 'open' | 'disconnected' | 'close', listener: () => void): this;
    on(event: 'failed', listener: (attempt: number) => void): this;
    on(
      event: 'request',
      listener: (request: ProtooRequest, accept: (data?: unknown) => void, reject: (code: number | Error, reason?: string) => void) => void,
    ): this;
    on(event: 'notification', listener: (notification: ProtooNotification) => void): this;
  }
}

/** protoo's message parser (validates requests, answers and notifications; undefined for anything else). */
declare module 'protoo-client/lib/Message' {
  const Message: { parse(raw: string): object | undefined };
  export default Message;
}
