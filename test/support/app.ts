import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { AdapterOverrides, AppModule } from '../../src/app.module';
import { loadConfig } from '../../src/config/app-config';
import { configureHttp } from '../../src/http';
import { configureLogger } from '../../src/observability/logger';
import { pollUntil } from './wait';

/** A running Vision Service on 127.0.0.1 with a random port. */
export interface RunningApp {
  app: INestApplication;
  baseUrl: string;
  close(): Promise<void>;
  /** Resolves once GET /ready answers 200 (models loaded), within timeoutMs. */
  ready(timeoutMs?: number): Promise<void>;
  /** Resolves once no flow is running any more, left rooms included (GET /health), within timeoutMs. */
  idle(timeoutMs?: number): Promise<void>;
  /** POST /join-call with a JSON body. */
  join(body: unknown): Promise<{ status: number; body: any; headers: Headers }>;
}

/** Starts the real service with these variables (on top of defaults, not of process.env). */
export async function startApp(env: Record<string, string> = {}, overrides: AdapterOverrides = {}): Promise<RunningApp> {
  const config = loadConfig({
    HOST: '127.0.0.1',
    OUTBOUND_ALLOWLIST: '127.0.0.1',
    ROOM_SERVER_ALLOWLIST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
    ...env,
  });
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, overrides), {
    bodyParser: false,
    logger: process.env.TEST_LOG_LEVEL ? undefined : ['error'],
  });
  configureHttp(app, config);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    app,
    baseUrl,
    close: () => app.close(),
    async ready(timeoutMs = 120_000) {
      await pollUntil(async () => ((await fetch(`${baseUrl}/ready`)).ok ? true : undefined), timeoutMs, 'the service to be ready', 250);
    },
    async idle(timeoutMs = 10_000) {
      const active = async () => ((await (await fetch(`${baseUrl}/health`)).json()) as { active_flows: number }).active_flows;
      await pollUntil(async () => ((await active()) === 0 ? true : undefined), timeoutMs, 'every flow to end', 50);
    },
    async join(body) {
      const res = await fetch(`${baseUrl}/join-call`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: await res.json(), headers: res.headers };
    },
  };
}
