import { Body, Controller, Post, Res, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { FaceMatchRequestDto, FaceMatchResponseDto } from './face-match.dto';
import { FaceMatchService } from './face-match.service';
import { FaceMatchRateLimitGuard } from './face-match-rate-limit.guard';

/** io2060/vision-matcher's API, answered by the embedded matcher. */
@ApiTags('matcher')
@Controller()
export class FaceMatchController {
  constructor(private readonly service: FaceMatchService) {}

  /** Compares the largest faces of two images. The body stays untyped: vision-matcher's own 400 answers apply. */
  @Post('face_match')
  @UseGuards(FaceMatchRateLimitGuard)
  @ApiBody({ type: FaceMatchRequestDto })
  @ApiOkResponse({ type: FaceMatchResponseDto })
  async faceMatch(@Body() body: unknown, @Res() res: Response): Promise<void> {
    const aborted = new AbortController();
    res.on('close', () => aborted.abort());
    const outcome = await this.service.match(body, aborted.signal);
    res.status(outcome.status).json(outcome.body);
  }
}
