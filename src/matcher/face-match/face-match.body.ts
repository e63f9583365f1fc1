import { ErrorRequestHandler, json, NextFunction, Request, RequestHandler, Response } from 'express';

/** The path the vision-matcher API is served on. */
export const FACE_MATCH_PATH = '/face_match';

/** Body-parser failures in vision-matcher's `{error}` shape. */
function bodyErrors(limitMb: number) {
  return (error: { type?: string }, _req: Request, res: Response, next: NextFunction): void => {
    if (error.type === 'entity.too.large') res.status(413).json({ error: `Request body over ${limitMb} MB` });
    else if (error.type === 'entity.parse.failed') res.status(400).json({ error: 'Malformed JSON body' });
    else next(error);
  };
}

/** How much /face_match work is let in at once. */
export interface FaceMatchBounds {
  /** Requests read, decoded and matched at once. */
  concurrency: number;
  /** Requests waiting, their bodies still unread; past it 429 with Retry-After. */
  queue: number;
}

export const DEFAULT_FACE_MATCH_BOUNDS: FaceMatchBounds = { concurrency: 2, queue: 8 };
/** Seconds a client is told to wait when the queue is full. */
const RETRY_AFTER_S = 5;

/**
 * Admits at most `concurrency` POSTs at once and keeps `queue` waiting, before their bodies are read (a waiting
 * body stays in the client's socket, not in memory); past that 429 with Retry-After, as vision-matcher's `{error}`.
 */
function admission(bounds: FaceMatchBounds): RequestHandler {
  let active = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  return (req, res, next) => {
    if (req.method !== 'POST') return next();
    const admit = () => {
      let released = false;
      const done = () => {
        if (released) return;
        released = true;
        release();
      };
      res.once('finish', done);
      res.once('close', done);
      next();
    };
    if (active < bounds.concurrency) {
      active++;
      return admit();
    }
    if (waiting.length >= bounds.queue) {
      res
        .status(429)
        .set({ 'retry-after': String(RETRY_AFTER_S), connection: 'close' })
        .json({ error: `Too many requests: ${bounds.concurrency} running and ${bounds.queue} waiting` });
      return;
    }
    waiting.push(admit);
    res.once('close', () => {
      const at = waiting.indexOf(admit);
      if (at >= 0) waiting.splice(at, 1);
    });
  };
}

/**
 * Admission and JSON parsing of /face_match bodies (two data URLs: megabytes). Mount before the app's own,
 * smaller, JSON parser, which then leaves the parsed body alone: `app.use(FACE_MATCH_PATH, ...faceMatchBodyParser(limitMb))`.
 */
export function faceMatchBodyParser(limitMb: number, bounds = DEFAULT_FACE_MATCH_BOUNDS): (RequestHandler | ErrorRequestHandler)[] {
  return [admission(bounds), json({ limit: limitMb * 1024 * 1024 }), bodyErrors(limitMb)];
}
