import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { InspectionEvent, Observer } from 'xstate';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { componentLog } from '../observability/logger';

/** @statelyai/inspect ships only ES modules; a real dynamic import keeps this CommonJS build working. */
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<any>;

/** Port of the local inspector bridge (the Stately inspector UI connects to it from the developer's browser). */
export const INSPECTOR_PORT = 8080;

/** Replaces pixel data in inspected snapshots so the inspector shows the flow, not images. */
function withoutPixels(_key: string, value: unknown): unknown {
  return ArrayBuffer.isView(value) ? `<${value.byteLength} bytes>` : value;
}

/** Development only (VISION_INSPECT=1): streams every flow's machine to the XState inspector. */
@Injectable()
export class FlowInspector implements OnModuleInit, OnApplicationShutdown {
  private inspector?: { inspect: Observer<InspectionEvent>; stop(): void };
  private server?: { stop(): void };

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    if (this.config.server.VISION_INSPECT !== '1') return;
    const { createInspectorServer } = await importEsm('@statelyai/inspect/server');
    const { createWebSocketInspector } = await importEsm('@statelyai/inspect');
    this.server = createInspectorServer({ port: INSPECTOR_PORT, autoOpen: false });
    this.inspector = createWebSocketInspector({
      url: `ws://127.0.0.1:${INSPECTOR_PORT}`,
      serialize: (event: unknown) => JSON.parse(JSON.stringify(event, withoutPixels)),
    });
    componentLog('inspector').warn(`XState inspector: open http://localhost:${INSPECTOR_PORT} (development only)`);
  }

  /** The observer to pass to createActor, when inspection is on. */
  observer(): Observer<InspectionEvent> | undefined {
    return this.inspector?.inspect;
  }

  onApplicationShutdown(): void {
    this.inspector?.stop();
    this.server?.stop();
  }
}
