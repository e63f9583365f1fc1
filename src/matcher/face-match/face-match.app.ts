import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HttpErrorFilter } from '../../api/validation';
import { FACE_MATCH_PATH, faceMatchBodyParser } from './face-match.body';
import { FaceMatchHealthController } from './face-match-health.controller';
import { FaceMatchModule } from './face-match.module';
import type { FaceMatchOptions } from './face-match.service';

/** The standalone matcher: POST /face_match and GET /health (tests use it too). Not listening yet. */
export async function createFaceMatchApp(options: FaceMatchOptions, bodyLimitMb: number): Promise<INestApplication> {
  const module = FaceMatchModule.forRoot(options);
  module.controllers = [...(module.controllers ?? []), FaceMatchHealthController];
  const app = await NestFactory.create(module, { bodyParser: false, logger: false });
  app.use(FACE_MATCH_PATH, ...faceMatchBodyParser(bodyLimitMb));
  app.useGlobalFilters(new HttpErrorFilter());
  return app;
}
