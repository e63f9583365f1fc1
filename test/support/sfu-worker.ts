import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type * as Mediasoup from 'mediasoup';

const REPO_ROOT = resolve(__dirname, '..', '..', '..');
const VERSION = '3.12.16';

/** The cached mediasoup worker binary, built by scripts/build-sfu-worker.sh when missing (minutes, once). */
export function sfuWorkerBin(): string {
  if (process.env.MEDIASOUP_WORKER_BIN) return process.env.MEDIASOUP_WORKER_BIN;
  const cached = join(process.env.VISION_CACHE_DIR ?? join(homedir(), '.cache', 'vision-service'), `mediasoup-worker-${VERSION}`);
  if (existsSync(cached)) return cached;
  const out = execFileSync('bash', [join(REPO_ROOT, 'scripts', 'build-sfu-worker.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.trim().split('\n').pop() as string;
}

let mediasoup: typeof Mediasoup | undefined;

/** The mediasoup server library, loaded after MEDIASOUP_WORKER_BIN is set (it reads the variable at load). */
export function loadMediasoup(): typeof Mediasoup {
  if (!mediasoup) {
    process.env.MEDIASOUP_WORKER_BIN = sfuWorkerBin();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mediasoup = require('mediasoup') as typeof Mediasoup;
  }
  return mediasoup;
}
