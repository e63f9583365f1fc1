import { json, NextFunction, Request, RequestHandler, Response } from 'express';

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

/**
 * JSON parsing of /face_match bodies (two data URLs: megabytes). Mount before the app's own, smaller, JSON parser,
 * which then leaves the parsed body alone: `app.use(FACE_MATCH_PATH, ...faceMatchBodyParser(limitMb))`.
 */
export function faceMatchBodyParser(limitMb: number): [RequestHandler, ReturnType<typeof bodyErrors>] {
  return [json({ limit: limitMb * 1024 * 1024 }), bodyErrors(limitMb)];
}
