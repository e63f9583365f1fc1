/**
 * Everything the local demo runs, on one machine: the room server (real mediasoup SFU), the Vision Service with
 * its real adapters, the demo controller, and a small web server for the subject page. The page never holds a
 * secret: it asks this server for a verification and this server POSTs /join-call with the service's API key.
 * Used by `npm run demo` and by the browser tests.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname, extname, join } from 'node:path';
import { RoomServer } from '../../test/support/room-server';
import { RunningApp, startApp } from '../../test/support/app';
import { DemoController } from '../demo-controller';
import type { FlowStatus, VerifyAnswer, VerifyRequest } from './api';
import { buildSubjectPage } from './bundle';

/** Options of the demo stack. */
export interface DemoStackOptions {
  /** Address of the page's web server (the others always listen on 127.0.0.1). Default 127.0.0.1. */
  host?: string;
  /** Port of the page's web server; default 0 (any free port). */
  port?: number;
  /** Service variables on top of the demo's (e.g. CHALLENGES, NUMBER_OF_GESTURES_TO_REQUEST). */
  env?: Record<string, string>;
  /** An image file the controller lists (as an http URL) instead of the frame the page took (tests); its folder is served. */
  referenceFile?: string;
  /** The service's API key (default: a random one); replicas started next to the stack share it. */
  apiKey?: string;
  /** How long to wait for the service's models to load. Default 180 s. */
  readyTimeoutMs?: number;
  log?: (line: string) => void;
}

/** One verification the page asked for. */
export interface DemoSession {
  flowId: string;
  token: string;
  roomId: string;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Sessions kept for the page's status polls (the oldest are forgotten first, with their reference). */
const MAX_SESSIONS = 50;
const STATIC_FILES: Record<string, string> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/subject.js': 'subject.js',
  '/subject.js.map': 'subject.js.map',
};
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The running demo. create() starts every part and waits until the service's models are loaded. */
export class DemoStack {
  /** Verifications started, newest last. */
  readonly sessions: DemoSession[] = [];
  /** The image listed instead of the page's frame, when set (tests change it between verifications). */
  referenceFile?: string;
  /** Where joins and status polls go: the service, or a load balancer in front of several replicas (demo --replicas). */
  apiBaseUrl: string;
  private closed = false;

  private constructor(
    private readonly web: Server,
    private readonly webDir: string,
    readonly rooms: RoomServer,
    readonly controller: DemoController,
    readonly service: RunningApp,
    private readonly apiKey: string,
    private readonly options: DemoStackOptions,
  ) {
    this.referenceFile = options.referenceFile;
    this.apiBaseUrl = service.baseUrl;
  }

  static async create(options: DemoStackOptions = {}): Promise<DemoStack> {
    const log = options.log ?? console.log;
    const apiKey = options.apiKey ?? randomBytes(24).toString('hex');
    const webDir = await buildSubjectPage();
    const rooms = await RoomServer.create();
    // The controller serves files only for referenceFile; the page's frames are listed as data URLs from memory.
    const controller = await DemoController.create({ assetsDir: dirname(options.referenceFile ?? join(webDir, 'no-assets', 'x')), log });
    const service = await startApp({
      ...options.env,
      // The page shows the callback details; the key never leaves this process.
      VISION_API_KEY: apiKey,
      CALLBACK_INCLUDE_DETAILS: 'true',
      OUTBOUND_ALLOWLIST: '127.0.0.1',
      ROOM_SERVER_ALLOWLIST: '127.0.0.1',
    });
    const web = createServer();
    const stack = new DemoStack(web, webDir, rooms, controller, service, apiKey, options);
    try {
      await stack.service.ready(options.readyTimeoutMs ?? 180_000);
      web.on('request', (req, res) => void stack.handle(req, res));
      web.listen(options.port ?? 0, options.host ?? '127.0.0.1');
      await once(web, 'listening');
    } catch (error) {
      await stack.close();
      throw error;
    }
    return stack;
  }

  /** The page's URL. */
  get url(): string {
    const { port } = this.web.address() as AddressInfo;
    const host = this.options.host && this.options.host !== '0.0.0.0' ? this.options.host : '127.0.0.1';
    return `http://${host}:${port}/`;
  }

  /** Stops every part. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.web.listening) {
      this.web.closeAllConnections();
      await new Promise((resolve) => this.web.close(resolve));
    }
    await this.service.close();
    await this.rooms.close();
    await this.controller.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    try {
      if (req.method === 'GET' && STATIC_FILES[path]) return await this.serveFile(STATIC_FILES[path], res);
      if (req.method === 'POST' && path === '/api/verify') return this.json(res, 200, await this.verify(await readJson(req)));
      const flow = /^\/api\/flows\/([\w-]+)$/.exec(path);
      if (req.method === 'GET' && flow) return this.json(res, 200, await this.status(flow[1]));
      throw new HttpError(404, 'not found');
    } catch (error) {
      const status = error instanceof HttpError ? error.status : 500;
      this.json(res, status, { error: (error as Error).message });
    }
  }

  private async serveFile(name: string, res: ServerResponse): Promise<void> {
    const bytes = await readFile(join(this.webDir, name));
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(name)],
      'cache-control': 'no-store',
      // Only this server, the room server's WebSocket and the page's own camera frames: no other host.
      'content-security-policy': [
        "default-src 'self'",
        `connect-src 'self' ws://127.0.0.1:${this.rooms.port}`,
        "img-src 'self' data:",
        "style-src 'self' 'unsafe-inline'",
        "media-src 'self' blob: mediastream:",
      ].join('; '),
    });
    res.end(bytes);
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
  }

  /** Lists the reference for a new token, asks the service to join a new room, and tells the page where to go. */
  private async verify(body: unknown): Promise<VerifyAnswer> {
    const request = body as Partial<VerifyRequest>;
    if (typeof request.reference !== 'string' || !/^data:image\/jpeg;base64,[A-Za-z0-9+/=]+$/.test(request.reference)) {
      throw new HttpError(400, 'reference must be a JPEG data URL');
    }
    const lang = typeof request.lang === 'string' && /^[a-z]{2}$/.test(request.lang) ? request.lang : 'en';
    const token = randomUUID();
    const roomId = randomUUID();
    const reference = this.referenceFile;
    this.controller.lists.set(token, [
      reference ? `${this.controller.baseUrl}/assets/${encodeURIComponent(basename(reference))}` : request.reference,
    ]);
    const res = await fetch(`${this.apiBaseUrl}/join-call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': this.apiKey },
      body: JSON.stringify({ ws_url: this.rooms.url(roomId, 'vision-service'), callback_base_url: this.controller.baseUrl, token, lang }),
    });
    const answer = (await res.json()) as { flow_id?: string };
    if (res.status !== 202 || !answer.flow_id) {
      this.controller.lists.delete(token);
      throw new HttpError(502, `the service answered ${res.status}: ${JSON.stringify(answer)}`);
    }
    this.remember({ flowId: answer.flow_id, token, roomId });
    return { flowId: answer.flow_id, wsUrl: this.rooms.url(roomId, `subject-${randomUUID().slice(0, 8)}`) };
  }

  private remember(session: DemoSession): void {
    this.sessions.push(session);
    while (this.sessions.length > MAX_SESSIONS) this.controller.lists.delete(this.sessions.shift()!.token);
  }

  /** The service's view of the flow and what the controller received for it. */
  private async status(flowId: string): Promise<FlowStatus> {
    const session = this.sessions.find((s) => s.flowId === flowId);
    if (!session) throw new HttpError(404, 'unknown flow');
    const res = await fetch(`${this.apiBaseUrl}/flows/${encodeURIComponent(flowId)}`, { headers: { 'x-api-key': this.apiKey } });
    const callbacks = this.controller.callbacks
      .filter((c) => c.token === session.token)
      .map((c) => ({ status: c.status, path: `/${c.status}/${session.token}`, body: c.body }));
    // The reference is not needed once the verdict is in: forget it.
    if (callbacks.length > 0) this.controller.lists.delete(session.token);
    return { flow: res.ok ? ((await res.json()) as FlowStatus['flow']) : null, callbacks };
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'body too large');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
}
