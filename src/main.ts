import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { ConfigError } from './config/env';
import { loadConfig } from './config/app-config';
import { configureHttp } from './http';
import { configureLogger, rootLogger } from './observability/logger';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
  configureLogger(config.server.LOG_LEVEL);
  const app = await NestFactory.create(AppModule.forRoot(config), { bodyParser: false, bufferLogs: true });
  configureHttp(app);
  await app.listen(config.server.PORT, config.server.HOST);
  rootLogger.info(`listening on http://${config.server.HOST}:${config.server.PORT}`);
}

void main();
