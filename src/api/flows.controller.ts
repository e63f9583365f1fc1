import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpException,
  Inject,
  NotFoundException,
  Param,
  Post,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { Response } from 'express';
import { Locales, DEFAULT_LANG } from '../common/locales';
import { FlowRejection, FlowService, FlowView } from '../flow/flow.service';
import { JoinCallRequestDto, JoinCallResponse } from './join-call.dto';
import { JoinRateLimitGuard } from './join-rate-limit.guard';
import { TRANSPORT_PORT, TransportPort } from '../transport/transport.port';
import { ValidationFailed } from './validation';

/** Seconds a client is told to wait when every flow slot is taken. */
const RETRY_AFTER_S = 10;

/** The controller-facing API: start, watch and cancel verifications. */
@Controller()
export class FlowsController {
  constructor(
    private readonly flows: FlowService,
    private readonly locales: Locales,
    @Inject(TRANSPORT_PORT) private readonly transport: TransportPort,
  ) {}

  @Post('join-call')
  @HttpCode(202)
  @UseGuards(JoinRateLimitGuard)
  async joinCall(@Body() body: JoinCallRequestDto, @Res({ passthrough: true }) res: Response): Promise<JoinCallResponse> {
    const refused = await this.transport.roomServerRefusal?.(body.ws_url);
    if (refused) throw new ValidationFailed([{ field: 'ws_url', message: `ws_url is refused by the room server policy: ${refused}` }]);
    const requested = (body.lang ?? DEFAULT_LANG).toLowerCase();
    const lang = this.locales.has(requested) ? requested : DEFAULT_LANG;
    try {
      const { flowId, challengeIds } = this.flows.start({
        wsUrl: body.ws_url,
        callbackBaseUrl: body.callback_base_url,
        datastoreBaseUrl: body.datastore_base_url,
        token: body.token,
        lang,
      });
      return {
        flow_id: flowId,
        token: body.token,
        status: 'accepted',
        lang,
        challenges: challengeIds,
        ...(lang !== requested && { notice: `language "${requested}" is not available; using ${lang}` }),
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
