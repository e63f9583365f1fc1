import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { json, NextFunction, Request, Response } from 'express';
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
    res.status(400).json({
      error: 'validation_failed',
      details: [{ field: 'body', message: `Content-Type must be application/json, got ${req.headers['content-type'] ?? 'none'}` }],
    });
    return;
  }
  next();
}

/** A JSON body must be an object (the API has no array or scalar bodies). */
function requireObject(req: Request, res: Response, next: NextFunction): void {
  if (req.body !== undefined && (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body))) {
    res.status(400).json({ error: 'validation_failed', details: [{ field: 'body', message: 'body must be a JSON object' }] });
    return;
  }
  next();
}

/** Body-parser failures in the API's error shapes (Nest would answer them in its own). */
function bodyErrors(error: { type?: string; message?: string }, _req: Request, res: Response, next: NextFunction): void {
  if (error.type === 'entity.parse.failed') {
    res.status(400).json({ error: 'validation_failed', details: [{ field: 'body', message: `malformed JSON: ${error.message}` }] });
  } else if (error.type === 'entity.too.large') {
    res.status(413).json({ error: 'payload_too_large', details: [{ field: 'body', message: error.message }] });
  } else {
    next(error);
  }
}

/** Body parsing, validation and error shapes shared by the service and its tests. */
export function configureHttp(app: NestExpressApplication, config: AppConfig): void {
  // Behind an ingress every request comes from the ingress: the per-address join limit needs the forwarded client.
  app.set('trust proxy', config.server.TRUST_PROXY_HOPS);
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
