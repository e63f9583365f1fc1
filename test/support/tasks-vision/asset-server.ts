import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { type WebSocket, WebSocketServer } from 'ws';

/** Left in the tasks-vision bundle by scripts/patch-mediapipe.mjs once the usage logger is removed. */
const PATCH_MARKER = '/*vision-service: usage logger removed*/';
/** sha256 of models/face_landmarker/face_landmarker.task (see its PROVENANCE.md). */
export const MODEL_SHA256 = '64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff';
const REPO_ROOT = join(__dirname, '..', '..', '..', '..');
const MODEL_FILE = join(REPO_ROOT, 'models', 'face_landmarker', 'face_landmarker.task');

/**
 * The page may load scripts and wasm from this server and connect back to it, nothing else: even if some code in
 * the bundle tried to phone home, the browser would refuse before any DNS lookup.
 */
const CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'";
const PAGE_HTML = `<!doctype html><meta charset="utf-8"><title>vision-service face landmarker</title>
<script src="/vision_bundle.js"></script><script src="/page.js"></script>`;

interface Asset {
  body: Buffer;
  type: string;
}

/** Reads what the page needs, refusing an unpatched bundle or a model with the wrong hash. */
function loadAssets(): Map<string, Asset> {
  const packageDir = dirname(require.resolve('@mediapipe/tasks-vision'));
  const bundle = readFileSync(join(packageDir, 'vision_bundle.js'));
  if (!bundle.includes(PATCH_MARKER)) {
    throw new Error('@mediapipe/tasks-vision still has its usage logger: run `node scripts/patch-mediapipe.mjs` (npm install does)');
  }
  const model = readFileSync(MODEL_FILE);
  const sha = createHash('sha256').update(model).digest('hex');
  if (sha !== MODEL_SHA256) throw new Error(`${MODEL_FILE} has sha256 ${sha}, expected ${MODEL_SHA256}`);
  const js = 'text/javascript; charset=utf-8';
  return new Map<string, Asset>([
    ['/', { body: Buffer.from(PAGE_HTML), type: 'text/html; charset=utf-8' }],
    ['/vision_bundle.js', { body: bundle, type: js }],
    ['/page.js', { body: readFileSync(join(__dirname, 'page', 'landmarker-page.js')), type: js }],
    ['/wasm/vision_wasm_internal.js', { body: readFileSync(join(packageDir, 'wasm', 'vision_wasm_internal.js')), type: js }],
    [
      '/wasm/vision_wasm_internal.wasm',
      { body: readFileSync(join(packageDir, 'wasm', 'vision_wasm_internal.wasm')), type: 'application/wasm' },
    ],
    ['/model/face_landmarker.task', { body: model, type: 'application/octet-stream' }],
  ]);
}

/**
 * Loopback HTTP server for the engine's page: the page, the patched tasks-vision bundle, its wasm and the model,
 * and one WebSocket (guarded by a random token) that carries frames. Every request is recorded (paths only).
 */
export class AssetServer {
  /** Method and path of every HTTP request and WebSocket upgrade received, in order. */
  readonly requests: string[] = [];
  private connection?: WebSocket;
  private closed = false;

  private constructor(
    private readonly server: Server,
    private readonly sockets: WebSocketServer,
    private readonly token: string,
    private readonly onConnection: (socket: WebSocket) => void,
  ) {}

  /** Starts listening on 127.0.0.1 (random port); `onConnection` gets the page's frame socket. */
  static async create(onConnection: (socket: WebSocket) => void): Promise<AssetServer> {
    const assets = loadAssets();
    const token = randomBytes(16).toString('hex');
    const sockets = new WebSocketServer({ noServer: true, maxPayload: 8 * 2 ** 20 });
    const server = createServer();
    const self = new AssetServer(server, sockets, token, onConnection);
    server.on('request', (req, res) => self.serve(assets, req, res));
    server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      self.requests.push(`UPGRADE ${url.pathname}`);
      if (self.closed || url.pathname !== '/frames' || url.searchParams.get('token') !== token) {
        socket.destroy();
        return;
      }
      sockets.handleUpgrade(req, socket, head, (ws) => self.accept(ws));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    return self;
  }

  /** URL of the page, with the socket token. */
  pageUrl(query: Record<string, string | number>): string {
    const params = new URLSearchParams({ ...Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])), token: this.token });
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/?${params}`;
  }

  /** Stops the server and drops the socket. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.connection?.terminate();
    this.sockets.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(assets: Map<string, Asset>, req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    this.requests.push(`${req.method} ${path}`);
    const asset = req.method === 'GET' ? assets.get(path) : undefined;
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('Cache-Control', 'no-store');
    if (!asset) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': asset.type, 'Content-Length': asset.body.length }).end(asset.body);
  }

  private accept(ws: WebSocket): void {
    // One page per server: a second connection replaces the first (a reloaded page).
    this.connection?.terminate();
    this.connection = ws;
    this.onConnection(ws);
  }
}
