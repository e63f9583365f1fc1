import type { INestApplication, LogLevel } from '@nestjs/common';
import { json, NextFunction, Request, Response } from 'express';
import { HttpErrorFilter, strictValidationPipe } from './api/validation';
import type { AppConfig } from './config/app-config';

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
export function configureHttp(app: INestApplication): void {
  app.use(requireJson, json({ limit: API_BODY_LIMIT, strict: false }), bodyErrors, requireObject);
  app.useGlobalPipes(strictValidationPipe);
  app.useGlobalFilters(new HttpErrorFilter());
  app.enableShutdownHooks();
}

/** Nest log levels at and above LOG_LEVEL. */
export function logLevels(config: AppConfig): LogLevel[] {
  const order: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];
  const wanted = { fatal: 'fatal', error: 'error', warn: 'warn', info: 'log', debug: 'debug', trace: 'verbose' }[
    config.server.LOG_LEVEL
  ] as LogLevel;
  return order.slice(0, order.indexOf(wanted) + 1);
}
