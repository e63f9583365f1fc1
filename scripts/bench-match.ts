/**
 * Throughput of the embedded matcher's worker pool on a folder of photos (`<dir>/<person>/<n>.jpg`).
 * Usage: npm run bench:match -- <dir> [--model faceapi|faceres] [--workers N] [--rounds N]
 * Prints one JSON line: per-image worker time (detect + align + embed), throughput, process RSS.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RawImage } from '../src/common/image';
import { EmbeddedMatcher } from '../src/matcher/embedded/embedded-matcher';
import type { EmbeddingModelName } from '../src/matcher/embedded/embedding-models';
import { decodeImage } from '../src/references/image-loader';

function option(argv: string[], name: string, fallback: string): string {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 && argv[at + 1] ? argv[at + 1] : fallback;
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
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  const matcher = EmbeddedMatcher.create({ model, workers });
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
    model,
    workers,
    images: images.length * rounds,
    load_ms: Math.round(loadMs),
    median_ms_per_image_in_worker: Math.round(matcher.medianMs() * 10) / 10,
    images_per_s: Math.round(((images.length * rounds) / wallMs) * 1000 * 10) / 10,
    // Loaded: the workers with their models, before any photo is decoded; peak includes the decoded photos.
    rss_loaded_added_mb: Math.round((rssLoaded - rssBefore) / 2 ** 20),
    rss_peak_mb: Math.round(process.memoryUsage().rss / 2 ** 20),
  };
  await matcher.close();
  console.log(JSON.stringify(result));
}

void main();
