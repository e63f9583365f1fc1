import { Body, Controller, Delete, Get, HttpCode, HttpException, NotFoundException, Param, Post, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { ApiBody } from '@nestjs/swagger';
import { Locales } from '../common/locales';
import { flowLog } from '../observability/logger';
import { FlowRejection, FlowService, FlowView } from '../flow/flow.service';
import { JoinCallRequestDto, JoinCallResponse } from './join-call.dto';
import { JoinCallInput, JoinCallPipe } from './join-call.pipe';
import { JoinRateLimitGuard } from './join-rate-limit.guard';

/** Seconds a client is told to wait when every flow slot is taken. */
const RETRY_AFTER_S = 10;

/** The controller-facing API: start, watch and cancel verifications. */
@Controller()
export class FlowsController {
  constructor(
    private readonly flows: FlowService,
    private readonly locales: Locales,
  ) {}

  @Post('join-call')
  @HttpCode(202)
  @UseGuards(JoinRateLimitGuard)
  @ApiBody({ type: JoinCallRequestDto })
  joinCall(@Body(JoinCallPipe) input: JoinCallInput, @Res({ passthrough: true }) res: Response): JoinCallResponse {
    const { request: body, unknownFields } = input;
    const requested = this.locales.resolve(body.lang);
    try {
      const { flowId, challengeIds, lang, rejoined } = this.flows.start({
        wsUrl: body.ws_url,
        callbackBaseUrl: body.callback_base_url,
        datastoreBaseUrl: body.datastore_base_url,
        token: body.token,
        lang: requested,
      });
      const ignored =
        unknownFields.length > 0 && `unknown fields ignored: ${unknownFields.map((f) => JSON.stringify(f.slice(0, 64))).join(', ')}`;
      if (ignored) flowLog(flowId, body.token).warn(ignored);
      const notices = [
        rejoined && 'a flow with this token is already running in this room: this is it',
        body.lang !== undefined &&
          body.lang.toLowerCase() !== lang &&
          `language ${JSON.stringify(body.lang)} is not available; using ${lang}`,
        ignored,
      ].filter((n): n is string => typeof n === 'string');
      return {
        flow_id: flowId,
        token: body.token,
        status: 'accepted',
        lang,
        challenges: challengeIds,
        ...(notices.length > 0 && { notice: notices.join('; ') }),
      };
    } catch (error) {
      if (!(error instanceof FlowRejection)) throw error;
      if (error.kind === 'too_many_flows') res.setHeader('Retry-After', String(RETRY_AFTER_S));
      const status = { token_in_use: 409, too_many_flows: 429, draining: 503 }[error.kind];
      throw new HttpException({ error: error.kind, message: error.message, ...(error.flowId && { flow_id: error.flowId }) }, status);
    }
  }

  @Get('flows/:id')
  flow(@Param('id') id: string): FlowView {
    const view = this.flows.view(id);
    if (!view) throw new NotFoundException({ error: 'not_found', message: `no flow ${id}` });
    return view;
  }

  @Delete('flows/:id')
  @HttpCode(202)
  cancel(@Param('id') id: string): FlowView {
    if (!this.flows.cancel(id)) throw new NotFoundException({ error: 'not_found', message: `no running flow ${id}` });
    return this.flows.view(id) as FlowView;
  }
}
