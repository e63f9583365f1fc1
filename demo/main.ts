/** `npm run demo:controller`: the demo controller on PORT (5001), listing PUBLIC_BASE_URL/assets/{token}. */
import { join } from 'node:path';
import { DemoController } from './demo-controller';

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 5001);
  const host = process.env.HOST ?? '0.0.0.0';
  const controller = await DemoController.create({
    assetsDir: process.env.ASSETS_DIR ?? join(__dirname, '..', '..', 'test', 'assets'),
    port,
    host,
    publicBaseUrl: process.env.PUBLIC_BASE_URL ?? `http://localhost:${port}`,
  });
  console.log(`demo controller on ${host}:${port}; lists ${controller.baseUrl}/assets/{token}`);
  const stop = () => void controller.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
