import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HttpErrorFilter } from '../../api/validation';
import { DEFAULT_FACE_MATCH_BOUNDS, FACE_MATCH_PATH, FaceMatchBounds, faceMatchBodyParser } from './face-match.body';
import { FaceMatchHealthController } from './face-match-health.controller';
import { FaceMatchModule } from './face-match.module';
import type { FaceMatchOptions } from './face-match.service';

/** The standalone matcher: POST /face_match and GET /health (tests use it too). Not listening yet. */
export async function createFaceMatchApp(
  options: FaceMatchOptions,
  bodyLimitMb: number,
  bounds: FaceMatchBounds = DEFAULT_FACE_MATCH_BOUNDS,
): Promise<INestApplication> {
  const module = FaceMatchModule.forRoot(options);
  module.controllers = [...(module.controllers ?? []), FaceMatchHealthController];
  const app = await NestFactory.create(module, { bodyParser: false, logger: false });
  app.use(FACE_MATCH_PATH, ...faceMatchBodyParser(bodyLimitMb, bounds));
  app.useGlobalFilters(new HttpErrorFilter());
  return app;
}
