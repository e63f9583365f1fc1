import { once } from 'node:events';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One PUT a receiver got. */
export interface ReceivedPut {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** Date.now() when it arrived. */
  at: number;
}

/**
 * A controller's callback endpoint on 127.0.0.1 that answers each PUT with `status` after `delayMs`
 * (late receivers process what the service already gave up on; `answer` may change). close() ends every held request.
 */
export class WebhookReceiver {
  readonly puts: ReceivedPut[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
    public answer: { status: number; delayMs: number },
  ) {}

  static async start(answer: { status: number; delayMs: number }): Promise<WebhookReceiver> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const receiver = new WebhookReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, answer);
    server.on('connection', (socket) => {
      receiver.sockets.add(socket);
      socket.on('close', () => receiver.sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        receiver.puts.push({ path: req.url ?? '', headers: req.headers, body, at: Date.now() });
        const { status, delayMs } = receiver.answer;
        const timer = setTimeout(() => {
          receiver.timers.delete(timer);
          if (!res.destroyed) res.writeHead(status).end();
        }, delayMs);
        receiver.timers.add(timer);
      });
    });
    return receiver;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
