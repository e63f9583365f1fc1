/**
 * Throughput of the embedded matcher's worker pool on a folder of photos (`<dir>/<person>/<n>.jpg`), ONNX Runtime
 * and the original TFJS models side by side, each runtime in a fresh child process so RSS is its own.
 * Usage: npm run bench:match -- <dir> [--model faceapi|faceres] [--workers N] [--rounds N]
 * Prints one JSON line: per runtime the worker time per image (detect + align + embed) and per embedding (align +
 * embed), throughput, process RSS.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RawImage } from '../src/common/image';
import { EMBEDDING_RUNTIMES, EmbeddingModelName, EmbeddingRuntime } from '../src/face-embedding/embedding-model';
import { EmbeddedMatcher } from '../src/matcher/embedded/embedded-matcher';
import { decodeImage } from '../src/references/image-loader';

function option(argv: string[], name: string, fallback: string): string {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 && argv[at + 1] ? argv[at + 1] : fallback;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** One runtime in this process. */
async function measure(dir: string, model: EmbeddingModelName, runtime: EmbeddingRuntime, workers: number, rounds: number) {
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  const matcher = EmbeddedMatcher.create({ model, runtime, workers });
  await matcher.ready();
  const loadMs = performance.now() - started;
  const rssLoaded = process.memoryUsage().rss;
  const images: RawImage[] = [];
  for (const person of readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    for (const file of readdirSync(join(dir, person.name)).filter((f) => /\.jpe?g$/i.test(f))) {
      images.push(await decodeImage(readFileSync(join(dir, person.name, file))));
    }
  }
  const t0 = performance.now();
  for (let round = 0; round < rounds; round++) await Promise.all(images.map((image) => matcher.embed(image)));
  const wallMs = performance.now() - t0;
  const result = {
    images: images.length * rounds,
    load_ms: Math.round(loadMs),
    median_ms_per_embedding_in_worker: round1(matcher.medianMs('embed')),
    median_ms_per_image_in_worker: round1(matcher.medianMs()),
    images_per_s: round1(((images.length * rounds) / wallMs) * 1000),
    // Loaded: the workers with their models, before any photo is decoded; peak includes the decoded photos.
    rss_loaded_added_mb: Math.round((rssLoaded - rssBefore) / 2 ** 20),
    rss_peak_mb: Math.round(process.memoryUsage().rss / 2 ** 20),
  };
  await matcher.close();
  return result;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const dir = argv[0];
  if (!dir || dir.startsWith('--')) {
    console.error('usage: bench-match <dir> [--model faceapi|faceres] [--workers N] [--rounds N]');
    process.exit(2);
  }
  const model = option(argv, 'model', 'faceapi') as EmbeddingModelName;
  const workers = Number(option(argv, 'workers', '2'));
  const rounds = Number(option(argv, 'rounds', '2'));
  const only = option(argv, 'only-runtime', '');
  if (only) {
    console.log(JSON.stringify(await measure(dir, model, only as EmbeddingRuntime, workers, rounds)));
    return;
  }
  const results: Record<string, unknown> = {};
  for (const runtime of EMBEDDING_RUNTIMES) {
    const out = execFileSync(process.execPath, [__filename, ...argv, '--only-runtime', runtime], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    results[runtime] = JSON.parse(out.trim().split('\n').pop()!);
  }
  console.log(JSON.stringify({ model, workers, ...results }));
}

void main();
