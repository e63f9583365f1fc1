import { once } from 'node:events';
import { createServer, request, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A load balancer on 127.0.0.1: each request goes to the next upstream in turn (as a Kubernetes Service may). */
export class RoundRobinProxy {
  private next = 0;

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
    private readonly upstreams: string[],
  ) {}

  static async start(upstreams: string[]): Promise<RoundRobinProxy> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const proxy = new RoundRobinProxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, upstreams);
    server.on('request', (req, res) => {
      const upstream = new URL(req.url ?? '/', proxy.upstreams[proxy.next++ % proxy.upstreams.length]);
      const forwarded = request(upstream, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      forwarded.on('error', () => res.writeHead(502).end());
      req.pipe(forwarded);
    });
    return proxy;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
