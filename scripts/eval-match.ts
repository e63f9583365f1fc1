/**
 * Measures the face embedding models side by side on a folder of identities: `<dir>/<person>/<n>.jpg`.
 * Usage: npm run eval:match -- <dir> [--model faceapi|faceres] [--runtime onnx|tfjs] [--verbose]
 * Each image is detected once and embedded by every model; prints one JSON line per model (see docs/matching.md).
 * Nothing is written to disk.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EMBEDDING_MODELS, EMBEDDING_RUNTIMES, EmbeddingModelName, EmbeddingRuntime } from '../src/face-embedding/embedding-model';
import { loadEmbedder } from '../src/face-embedding/load-embedder';
import { cosineDistance } from '../src/common/distance';
import { DEFAULT_THRESHOLDS } from '../src/matcher/embedded/thresholds';
import { toVisionMatcherScale } from '../src/matcher/face-match/vision-matcher-scale';
import { REMOTE_DEFAULT_THRESHOLD } from '../src/matcher/matcher.env';
import { atFmr, equalErrorRate } from '../src/matcher/embedded/error-rates';
import { FaceDetector } from '../src/matcher/embedded/face-detector';
import { embedFace, warmUpEmbedder } from '../src/matcher/embedded/face-embedder';
import { decodeImage } from '../src/references/image-loader';

interface Sample {
  person: string;
  file: string;
  embedding: Float32Array;
}

function option(argv: string[], name: string): string | undefined {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? argv[at + 1] : undefined;
}

function parseArgs(argv: string[]): { dir: string; models: EmbeddingModelName[]; runtime: EmbeddingRuntime; verbose: boolean } {
  const dir = argv.find((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--'));
  const model = option(argv, 'model');
  const models = (model ? [model] : [...EMBEDDING_MODELS]) as EmbeddingModelName[];
  const runtime = (option(argv, 'runtime') ?? 'onnx') as EmbeddingRuntime;
  if (!dir || !models.every((m) => EMBEDDING_MODELS.includes(m)) || !EMBEDDING_RUNTIMES.includes(runtime)) {
    console.error(
      `usage: eval-match <dir> [--model ${EMBEDDING_MODELS.join('|')}] [--runtime ${EMBEDDING_RUNTIMES.join('|')}] [--verbose]`,
    );
    process.exit(2);
  }
  return { dir, models, runtime, verbose: argv.includes('--verbose') };
}

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

function errorRates(model: EmbeddingModelName, samples: Sample[], verbose: boolean) {
  const genuine: number[] = [];
  const impostor: number[] = [];
  for (let i = 0; i < samples.length; i++) {
    for (let j = i + 1; j < samples.length; j++) {
      const d = cosineDistance(samples[i].embedding, samples[j].embedding);
      (samples[i].person === samples[j].person ? genuine : impostor).push(d);
    }
  }
  if (verbose) {
    const worst = (xs: number[], dir: 1 | -1) =>
      [...xs]
        .sort((a, b) => dir * (b - a))
        .slice(0, 5)
        .map((d) => round(d, 3));
    console.error(`highest genuine: ${worst(genuine, 1)}; lowest impostor: ${worst(impostor, -1)}`);
  }
  // The default threshold as this matcher decides, and as a 2060 service decides on /face_match's mapped distance.
  const threshold = DEFAULT_THRESHOLDS[model];
  const rates = (accept: (d: number) => boolean) => ({
    fmr: round(impostor.filter(accept).length / impostor.length),
    fnmr: round(genuine.filter((d) => !accept(d)).length / genuine.length),
  });
  const embedded = rates((d) => d < threshold);
  const mapped = rates((d) => toVisionMatcherScale(d, threshold) < REMOTE_DEFAULT_THRESHOLD);
  const at2 = atFmr(genuine, impostor, 1e-2);
  const at3 = atFmr(genuine, impostor, 1e-3);
  return {
    genuine_pairs: genuine.length,
    impostor_pairs: impostor.length,
    eer: round(equalErrorRate(genuine, impostor)),
    'fnmr_at_fmr_1e-2': round(at2.fnmr),
    'fnmr_at_fmr_1e-3': round(at3.fnmr),
    'threshold_at_fmr_1e-2': round(at2.threshold),
    'threshold_at_fmr_1e-3': round(at3.threshold),
    default_threshold: threshold,
    fmr_at_default: embedded.fmr,
    fnmr_at_default: embedded.fnmr,
    'face_match_fmr_mean_below_0.4': mapped.fmr,
    'face_match_fnmr_mean_below_0.4': mapped.fnmr,
  };
}

async function main(): Promise<void> {
  const { dir, models, runtime, verbose } = parseArgs(process.argv.slice(2));
  const detector = await FaceDetector.create();
  const embedders = await Promise.all(models.map((m) => loadEmbedder(m, runtime)));
  for (const e of embedders) await warmUpEmbedder(e);
  const samples = models.map(() => [] as Sample[]);
  const embedMs = models.map(() => 0);
  let images = 0;
  let detectMs = 0;
  for (const person of readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()) {
    for (const file of readdirSync(join(dir, person))
      .filter((f) => /\.(jpe?g|png|webp)$/i.test(f))
      .sort()) {
      images++;
      const image = await decodeImage(readFileSync(join(dir, person, file)));
      const started = performance.now();
      const faces = await detector.detect(image);
      detectMs += performance.now() - started;
      if (verbose) console.error(`${person}/${file}: ${faces.length} face(s), detection ${Math.round(performance.now() - started)} ms`);
      if (faces.length === 0) continue;
      for (const [i, embedder] of embedders.entries()) {
        const t0 = performance.now();
        const embedding = await embedFace(embedder, image, faces[0]);
        embedMs[i] += performance.now() - t0;
        samples[i].push({ person, file, embedding });
      }
    }
  }
  for (const [i, model] of models.entries()) {
    const found = samples[i].length;
    console.log(
      JSON.stringify({
        model,
        runtime,
        images,
        faces_found: found,
        ...errorRates(model, samples[i], verbose),
        ms_per_embedding: round(embedMs[i] / found, 1),
        ms_per_image: round((embedMs[i] + detectMs) / found, 1),
      }),
    );
  }
}

void main();
