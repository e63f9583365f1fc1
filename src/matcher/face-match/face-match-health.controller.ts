import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { FACE_MATCH_OPTIONS, FaceMatchOptions } from './face-match.service';

/** GET /health of the standalone matcher (the service has its own): 200 once the model is loaded, 503 before. */
@Controller()
export class FaceMatchHealthController {
  constructor(@Inject(FACE_MATCH_OPTIONS) private readonly options: FaceMatchOptions) {}

  @Get('health')
  health(): { status: 'ok' } {
    if (!this.options.matcher.isReady) throw new ServiceUnavailableException({ status: 'loading', error: 'Service not ready' });
    return { status: 'ok' };
  }
}
