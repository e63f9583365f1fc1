/**
 * The matcher alone (`npm run start:matcher`): POST /face_match on FACE_MATCH_PORT (5123), a drop-in for the
 * io2060/vision-matcher container.
 */
import 'reflect-metadata';
import { createEmbeddedMatcher } from '../../adapters';
import { loadConfigOrExit } from '../../config/app-config';
import { configureLogger, rootLogger } from '../../observability/logger';
import { OutboundGuard } from '../../outbound/outbound-guard';
import { createFaceMatchApp } from './face-match.app';
import { FACE_MATCH_PATH } from './face-match.body';
import { faceMatchBounds, faceMatchOptions } from './face-match.module';

async function main(): Promise<void> {
  const { config, notes } = loadConfigOrExit();
  configureLogger(config.server.LOG_LEVEL);
  for (const note of notes) rootLogger[note.level](note.message);
  const matcher = createEmbeddedMatcher(config);
  const outbound = new OutboundGuard({
    allowPrivate: config.outbound.OUTBOUND_ALLOW_PRIVATE,
    allowlist: config.outbound.OUTBOUND_ALLOWLIST,
  });
  const app = await createFaceMatchApp(
    faceMatchOptions(config, matcher, outbound),
    config.matcher.FACE_MATCH_BODY_LIMIT_MB,
    faceMatchBounds(config),
  );
  const stop = async () => {
    await app.close();
    await Promise.all([matcher.close(), outbound.close()]);
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  await app.listen(config.matcher.FACE_MATCH_PORT, config.server.HOST);
  rootLogger.info(
    `matcher listening on http://${config.server.HOST}:${config.matcher.FACE_MATCH_PORT}${FACE_MATCH_PATH}, loading ${matcher.model}`,
  );
  matcher.ready().then(
    () => rootLogger.info(`matcher ready: ${matcher.model}, threshold ${matcher.threshold}`),
    (error: Error) => {
      rootLogger.error(`matcher failed to start: ${error.message}`);
      process.exit(1);
    },
  );
}

void main();
