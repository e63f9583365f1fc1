import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { ConfigError } from './config/env';
import { loadConfig } from './config/app-config';
import { configureHttp, logLevels } from './http';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
  const app = await NestFactory.create(AppModule.forRoot(config), { bodyParser: false, logger: logLevels(config) });
  configureHttp(app);
  await app.listen(config.server.PORT, config.server.HOST);
  new Logger('VisionService').log(`listening on http://${config.server.HOST}:${config.server.PORT}`);
}

void main();
