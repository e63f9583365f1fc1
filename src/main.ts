import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { loadConfigOrExit } from './config/app-config';
import { configureHttp } from './http';
import { configureLogger, rootLogger } from './observability/logger';

async function main(): Promise<void> {
  const { config, notes } = loadConfigOrExit();
  configureLogger(config.server.LOG_LEVEL);
  for (const note of notes) rootLogger[note.level](note.message);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), { bodyParser: false, bufferLogs: true });
  configureHttp(app, config);
  await app.listen(config.server.PORT, config.server.HOST);
  rootLogger.info(`listening on http://${config.server.HOST}:${config.server.PORT}`);
}

void main();
