import { Controller, Get } from '@nestjs/common';
import { FlowService } from '../flow/flow.service';

/** Liveness of the process. */
@Controller()
export class HealthController {
  constructor(private readonly flows: FlowService) {}

  @Get('health')
  health(): { status: 'ok'; active_flows: number } {
    return { status: 'ok', active_flows: this.flows.activeCount };
  }
}
