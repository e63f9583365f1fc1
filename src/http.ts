import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { json, NextFunction, Request, Response } from 'express';
import type { Server } from 'node:http';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import { HttpErrorFilter, strictValidationPipe } from './api/validation';
import type { AppConfig } from './config/app-config';
import { FACE_MATCH_PATH, faceMatchBodyParser } from './matcher/face-match/face-match.body';
import { faceMatchBounds } from './matcher/face-match/face-match.module';

/** Body size limit of the JSON API (a join request is a few hundred bytes). */
const API_BODY_LIMIT = '64kb';

/** Refuses request bodies that are not JSON with the validation_failed shape. */
function requireJson(req: Request, res: Response, next: NextFunction): void {
  const hasBody = req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH';
  if (hasBody && !req.is('application/json')) {
    return bodyError(res, 400, 'validation_failed', `Content-Type must be application/json, got ${req.headers['content-type'] ?? 'none'}`);
  }
  next();
}

/** Deepest nesting of a JSON body the API reads (its bodies are flat; a deep one is an attack on the validators). */
const MAX_BODY_DEPTH = 32;

/** Whether a parsed JSON value nests deeper than `limit` (iterative: a deep value must not overflow the stack). */
function deeperThan(value: unknown, limit: number): boolean {
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length > 0) {
    const [item, depth] = pending.pop() as [unknown, number];
    if (typeof item !== 'object' || item === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(item)) pending.push([child, depth + 1]);
  }
  return false;
}

function bodyError(res: Response, status: number, error: string, message: string): void {
  res.status(status).json({ error, details: [{ field: 'body', message }] });
}

/** A JSON body must be an object (the API has no array or scalar bodies) of a sane depth. */
function requireObject(req: Request, res: Response, next: NextFunction): void {
  if (req.body !== undefined && (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body))) {
    return bodyError(res, 400, 'validation_failed', 'body must be a JSON object');
  }
  if (deeperThan(req.body, MAX_BODY_DEPTH))
    return bodyError(res, 400, 'validation_failed', `body nests deeper than ${MAX_BODY_DEPTH} levels`);
  next();
}

/** Error codes of the client errors body parsing reports, by HTTP status. */
const BODY_ERRORS: Record<number, string> = { 413: 'payload_too_large', 415: 'unsupported_media_type' };

/**
 * Body-parser failures in the API's error shape, never as a 500: malformed JSON, too large, an unsupported charset
 * or Content-Encoding, a corrupt compressed body, a client that aborted mid-body.
 */
function bodyErrors(error: { type?: string; message?: string; status?: number }, _req: Request, res: Response, next: NextFunction): void {
  const status = error.status ?? 500;
  if (status < 400 || status >= 500) return next(error);
  const message = error.type === 'entity.parse.failed' ? `malformed JSON: ${error.message}` : (error.message ?? 'unreadable body');
  bodyError(res, status, BODY_ERRORS[status] ?? 'validation_failed', message);
}

/** Bounds how long a client may take to send a request and how many connections may be open. */
function limitConnections(server: Server, limits: AppConfig['settings']['server']['http']): void {
  server.requestTimeout = limits.requestTimeoutMs;
  server.headersTimeout = limits.headersTimeoutMs;
  server.maxConnections = limits.maxConnections;
  // Node enforces both timeouts on this interval (30 s by default, doubling them); read when the server starts listening.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = 1000;
}

/** Body parsing, validation and error shapes shared by the service and its tests. */
export function configureHttp(app: NestExpressApplication, config: AppConfig): void {
  // Behind an ingress every request comes from the ingress: the per-address join limit needs the forwarded client.
  app.set('trust proxy', config.server.TRUST_PROXY_HOPS);
  limitConnections(app.getHttpServer() as Server, config.settings.server.http);
  // /face_match bodies carry two images: their own, larger, parser first; the API's parser then skips them.
  app.use(FACE_MATCH_PATH, ...faceMatchBodyParser(config.matcher.FACE_MATCH_BODY_LIMIT_MB, faceMatchBounds(config)));
  app.use(requireJson, json({ limit: API_BODY_LIMIT, strict: false }), bodyErrors, requireObject);
  app.useGlobalPipes(strictValidationPipe);
  app.useGlobalFilters(new HttpErrorFilter());
  app.enableShutdownHooks();
  app.useLogger(app.get(PinoNestLogger));
  SwaggerModule.setup('docs', app, SwaggerModule.createDocument(app, openApiConfig()), { jsonDocumentUrl: 'docs/json' });
}

const CALLBACK_CONTRACT = `
The controller implements three endpoints under the callback_base_url it sends:

- GET {callback_base_url}/list/{token}: a JSON array of reference images, each a data:image/...;base64 URL, an http(s) URL,
  or (deprecated) a Data Store id fetched from {datastore_base_url}/r/{id}.
- PUT {callback_base_url}/success/{token} and PUT {callback_base_url}/failure/{token}: exactly one of them per flow, no body
  by default. With CALLBACK_INCLUDE_DETAILS=true the body is {"reason", "challenges": [{"id", "passed"}], "match": {"distance", "threshold"}}.
  With CALLBACK_HMAC_SECRET the header X-Vision-Signature is t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>.
  Network errors, 408, 429 and 5xx are retried with exponential backoff.`;

function openApiConfig() {
  return new DocumentBuilder()
    .setTitle('Vision Service')
    .setDescription(
      `Verifies a person over a live mediasoup call: liveness challenges, face matching, one terminal callback.\n${CALLBACK_CONTRACT}`,
    )
    .setVersion('0.1.0')
    .addApiKey({ type: 'apiKey', name: 'X-API-Key', in: 'header' }, 'api-key')
    .build();
}
