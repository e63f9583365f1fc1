import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpException,
  NotFoundException,
  Param,
  Post,
  Res,
  ServiceUnavailableException,
  UseGuards,
} from '@nestjs/common';
import type { Response } from 'express';
import { ApiAcceptedResponse, ApiBody, ApiOkResponse } from '@nestjs/swagger';
import { Locales } from '../common/locales';
import { FlowRegistry, FlowRejection } from '../flow/flow-registry';
import { flowLog } from '../observability/logger';
import { StoreError } from '../store/flow-store.port';
import { FlowView, storedFlowView } from './flow-view.dto';
import { JoinCallRequestDto, JoinCallResponse } from './join-call.dto';
import { JoinCallInput, JoinCallPipe } from './join-call.pipe';
import { JoinRateLimitGuard } from './join-rate-limit.guard';

/** Seconds a client is told to wait when every flow slot is taken. */
const RETRY_AFTER_S = 10;

/** The controller-facing API: start, watch and cancel verifications. */
@Controller()
export class FlowsController {
  constructor(
    private readonly flows: FlowRegistry,
    private readonly locales: Locales,
  ) {}

  @Post('join-call')
  @HttpCode(202)
  @UseGuards(JoinRateLimitGuard)
  @ApiBody({ type: JoinCallRequestDto })
  @ApiAcceptedResponse({ type: JoinCallResponse })
  async joinCall(@Body(JoinCallPipe) input: JoinCallInput, @Res({ passthrough: true }) res: Response): Promise<JoinCallResponse> {
    const { request: body, unknownFields } = input;
    const requested = this.locales.resolve(body.lang);
    try {
      const admission = await this.flows.start({
        wsUrl: body.ws_url,
        callbackBaseUrl: body.callback_base_url,
        datastoreBaseUrl: body.datastore_base_url,
        token: body.token,
        lang: requested,
      });
      const flow = admission.flow;
      const elsewhere = admission.flow ? undefined : admission.elsewhere;
      // A re-join of a flow another replica runs: its language is not in the store, the requested one stands.
      const lang = flow?.lang ?? requested;
      const ignored =
        unknownFields.length > 0 && `unknown fields ignored: ${unknownFields.map((f) => JSON.stringify(f.slice(0, 64))).join(', ')}`;
      if (ignored) (flow?.log ?? flowLog(elsewhere!.id, body.token)).warn(ignored);
      const notices = [
        admission.rejoined && 'a flow with this token is already running in this room: this is it',
        body.lang !== undefined &&
          body.lang.toLowerCase() !== lang &&
          `language ${JSON.stringify(body.lang)} is not available; using ${lang}`,
        ignored,
      ].filter((n): n is string => typeof n === 'string');
      return {
        flow_id: flow?.id ?? elsewhere!.id,
        token: body.token,
        status: 'accepted',
        lang,
        challenges: flow?.challengeIds ?? elsewhere!.challenges.map((c) => c.id),
        ...(notices.length > 0 && { notice: notices.join('; ') }),
      };
    } catch (error) {
      if (!(error instanceof FlowRejection)) throw error;
      if (error.kind === 'too_many_flows') res.setHeader('Retry-After', String(RETRY_AFTER_S));
      const status = { token_in_use: 409, too_many_flows: 429, draining: 503, store_unavailable: 503 }[error.kind];
      throw new HttpException({ error: error.kind, message: error.message, ...(error.flowId && { flow_id: error.flowId }) }, status);
    }
  }

  /** A flow of this replica, or from the flow store (another replica's, or one this process no longer lists). */
  @Get('flows/:id')
  @ApiOkResponse({ type: FlowView })
  async flow(@Param('id') id: string): Promise<FlowView> {
    const flow = this.flows.get(id);
    if (flow) return flow.view();
    const stored = await fromStore(() => this.flows.stored(id));
    if (!stored) throw new NotFoundException({ error: 'not_found', message: `no flow ${id}` });
    return storedFlowView(stored);
  }

  /** Cancels a flow here, or asks the replica running it (the cancel happens there). */
  @Delete('flows/:id')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: FlowView })
  async cancel(@Param('id') id: string): Promise<FlowView> {
    const flow = this.flows.cancel(id);
    if (flow) return flow.view();
    const asked = await fromStore(async () => (await this.flows.requestCancel(id)) && this.flows.stored(id));
    if (!asked) throw new NotFoundException({ error: 'not_found', message: `no running flow ${id}` });
    return storedFlowView(asked);
  }
}

/** A store read; an unreachable store is a 503 (the flow may exist on another replica). */
async function fromStore<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof StoreError)) throw error;
    throw new ServiceUnavailableException({ error: 'store_unavailable', message: error.message });
  }
}
