/** The part of protoo-server (untyped upstream) the test room server uses. */
declare module 'protoo-server' {
  import { EventEmitter } from 'node:events';
  import type { Server } from 'node:http';
  import type { IncomingMessage } from 'node:http';

  export interface ConnectionRequestInfo {
    request: IncomingMessage;
    origin?: string;
    socket: unknown;
  }

  export interface ProtooTransport {
    readonly closed: boolean;
    close(): void;
  }

  export class WebSocketServer extends EventEmitter {
    constructor(httpServer: Server, options?: Record<string, unknown>);
    stop(): void;
    on(
      event: 'connectionrequest',
      listener: (info: ConnectionRequestInfo, accept: () => ProtooTransport, reject: (code?: number, reason?: string) => void) => void,
    ): this;
  }

  export interface ProtooRequest {
    id: number;
    method: string;
    data?: any;
  }

  export class Peer extends EventEmitter {
    readonly id: string;
    readonly closed: boolean;
    readonly data: Record<string, any>;
    close(): void;
    request(method: string, data?: unknown): Promise<any>;
    notify(method: string, data?: unknown): Promise<void>;
    on(event: 'close', listener: () => void): this;
    on(
      event: 'request',
      listener: (request: ProtooRequest, accept: (data?: unknown) => void, reject: (code: number | Error, reason?: string) => void) => void,
    ): this;
    on(event: 'notification', listener: (notification: { method: string; data?: any }) => void): this;
  }

  export class Room extends EventEmitter {
    readonly closed: boolean;
    readonly peers: Peer[];
    createPeer(peerId: string, transport: ProtooTransport): Peer;
    hasPeer(peerId: string): boolean;
    getPeer(peerId: string): Peer | undefined;
    close(): void;
  }
}
