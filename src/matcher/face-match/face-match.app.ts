import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HttpErrorFilter } from '../../api/validation';
import { FACE_MATCH_PATH, faceMatchBodyParser } from './face-match.body';
import { FaceMatchModule } from './face-match.module';
import type { FaceMatchOptions } from './face-match.service';

/** A Nest app serving only POST /face_match (the standalone matcher; tests use it too). Not listening yet. */
export async function createFaceMatchApp(options: FaceMatchOptions, bodyLimitMb: number): Promise<INestApplication> {
  const app = await NestFactory.create(FaceMatchModule.forRoot(options), { bodyParser: false, logger: false });
  app.use(FACE_MATCH_PATH, ...faceMatchBodyParser(bodyLimitMb));
  app.useGlobalFilters(new HttpErrorFilter());
  return app;
}
