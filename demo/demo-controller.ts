import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import { sniffImageType } from '../src/references/image-loader';

/** A callback the controller received. */
export interface ReceivedCallback {
  status: 'success' | 'failure';
  token: string;
  body: string;
  headers: IncomingMessage['headers'];
  /** What the controller answered. */
  answered: number;
  /** Date.now() when it arrived. */
  receivedAt: number;
}

/** How `/list/{token}` misbehaves: `down` answers 503, `hang` never answers (until close()). */
export type ListFault = 'down' | 'hang';

export interface DemoControllerOptions {
  /** Folder of asset files; optional when every asset is held in memory (`assets`). */
  assetsDir?: string;
  port?: number;
  host?: string;
  /** Base of the asset URLs it lists; default http://<host>:<port>. */
  publicBaseUrl?: string;
  log?: (line: string) => void;
}

/**
 * The controller side of the contract, for demos and tests: `/list/{token}` lists the asset named like the
 * token, `/assets/{name}` and `/r/{id}` (Data Store) serve assets, `PUT /success|failure/{token}` is printed.
 */
export class DemoController {
  readonly callbacks: ReceivedCallback[] = [];
  /** Per-token answers of /list that replace the default one (tests use them for every item kind). */
  readonly lists = new Map<string, unknown>();
  /** Assets held in memory by name, served before the folder's files (tests keep face images off the disk). */
  readonly assets = new Map<string, Buffer>();
  /** Per-token faults of /list. */
  readonly listFaults = new Map<string, ListFault>();
  /** Callbacks still to answer with 500 before accepting (for retry tests). */
  failCallbacks = 0;
  /** Requests seen, as `METHOD path`. */
  readonly requests: string[] = [];
  private waiters: (() => void)[] = [];

  private constructor(
    private readonly server: Server,
    private readonly options: DemoControllerOptions,
    readonly baseUrl: string,
  ) {}

  static async create(options: DemoControllerOptions): Promise<DemoController> {
    const server = createServer();
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
    const controller = new DemoController(server, options, (options.publicBaseUrl ?? `http://${host}:${port}`).replace(/\/+$/, ''));
    server.on('request', (req, res) => void controller.handle(req, res));
    return controller;
  }

  /** Resolves with the callbacks of `token` once `count` arrived (or rejects after timeoutMs). */
  async waitForCallbacks(token: string, count = 1, timeoutMs = 30_000): Promise<ReceivedCallback[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = this.callbacks.filter((c) => c.token === token && c.answered < 300);
      if (got.length >= count) return got;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `no callback for ${token} within ${timeoutMs} ms (got ${JSON.stringify(this.callbacks.map((c) => [c.token, c.status, c.answered]))})`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private log(line: string): void {
    (this.options.log ?? console.log)(line);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    this.requests.push(`${req.method} ${path}`);
    const [, route, name] = /^\/([a-z]+)\/(.+)$/.exec(path) ?? [];
    const fault = route === 'list' ? this.listFaults.get(name) : undefined;
    if (fault === 'hang') return;
    if (fault === 'down') return void res.writeHead(503).end('list unavailable');
    if (req.method === 'GET' && route === 'list') return this.list(name, res);
    if (req.method === 'GET' && (route === 'assets' || route === 'r')) return this.asset(name, res);
    if (req.method === 'PUT' && (route === 'success' || route === 'failure')) return this.callback(route, name, req, res);
    res.writeHead(404).end();
  }

  private async list(token: string, res: ServerResponse): Promise<void> {
    const override = this.lists.get(token);
    if (override !== undefined) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(override));
    if (!(await this.readAsset(token))) return void res.writeHead(404).end(`no asset named ${token}`);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify([`${this.baseUrl}/assets/${encodeURIComponent(token)}`]));
  }

  private async asset(name: string, res: ServerResponse): Promise<void> {
    const bytes = await this.readAsset(name);
    if (!bytes) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': `image/${sniffImageType(bytes) ?? 'jpeg'}` }).end(bytes);
  }

  private async readAsset(name: string): Promise<Buffer | undefined> {
    const held = this.assets.get(name);
    if (held || !this.options.assetsDir) return held;
    try {
      return await readFile(join(this.options.assetsDir, basename(name)));
    } catch {
      return undefined;
    }
  }

  private async callback(status: 'success' | 'failure', token: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const answered = this.failCallbacks > 0 ? 500 : 200;
    if (answered === 500) this.failCallbacks--;
    const body = Buffer.concat(chunks).toString('utf8');
    this.callbacks.push({ status, token, body, headers: req.headers, answered, receivedAt: Date.now() });
    this.log(
      `${status === 'success' ? 'Success' : 'Failure'} token=${token}${body ? ` body=${body}` : ''}${answered === 500 ? ' (answered 500 on purpose)' : ''}`,
    );
    res.writeHead(answered).end(status === 'success' ? 'Success' : 'Failure');
    for (const wake of this.waiters.splice(0)) wake();
  }
}
