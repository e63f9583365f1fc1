/**
 * Measures a face embedding model on a folder of identities: `<dir>/<person>/<n>.jpg`.
 * Usage: npm run eval:match -- <dir> [--model faceapi|faceres] [--verbose]
 * Prints one JSON line (see docs/matching.md). Nothing is written to disk.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage } from '../src/references/image-loader';
import { cosineDistance } from '../src/matcher/embedded/distance';
import { DEFAULT_THRESHOLDS, EMBEDDING_MODELS, EmbeddingModelName } from '../src/matcher/embedded/embedding-models';
import { toVisionMatcherScale } from '../src/matcher/face-match/vision-matcher-scale';
import { REMOTE_DEFAULT_THRESHOLD } from '../src/matcher/matcher.env';
import { atFmr, equalErrorRate } from '../src/matcher/embedded/error-rates';
import { FaceEmbedder } from '../src/matcher/embedded/face-embedder';

interface Sample {
  person: string;
  file: string;
  embedding: Float32Array;
}

function parseArgs(argv: string[]): { dir: string; model: EmbeddingModelName; verbose: boolean } {
  const dir = argv.find((a, i) => !a.startsWith('--') && argv[i - 1] !== '--model');
  const at = argv.indexOf('--model');
  const model = (at >= 0 ? argv[at + 1] : 'faceapi') as EmbeddingModelName;
  if (!dir || !EMBEDDING_MODELS.includes(model)) {
    console.error(`usage: eval-match <dir> [--model ${EMBEDDING_MODELS.join('|')}] [--verbose]`);
    process.exit(2);
  }
  return { dir, model, verbose: argv.includes('--verbose') };
}

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  const { dir, model, verbose } = parseArgs(process.argv.slice(2));
  const embedder = await FaceEmbedder.create(model);
  await embedder.warmUp();
  const samples: Sample[] = [];
  let images = 0;
  let embedMs = 0;
  let imageMs = 0;
  for (const person of readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()) {
    for (const file of readdirSync(join(dir, person))
      .filter((f) => /\.(jpe?g|png|webp)$/i.test(f))
      .sort()) {
      images++;
      const image = await decodeImage(readFileSync(join(dir, person, file)));
      const result = await embedder.embed(image);
      if (verbose)
        console.error(`${person}/${file}: ${result.faces} face(s), ${Math.round(result.detectMs)}+${Math.round(result.embedMs)} ms`);
      if (!result.embedding) continue;
      embedMs += result.embedMs;
      imageMs += result.detectMs + result.embedMs;
      samples.push({ person, file, embedding: result.embedding });
    }
  }
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
  console.log(
    JSON.stringify({
      model,
      images,
      faces_found: samples.length,
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
      ms_per_embedding: round(embedMs / samples.length, 1),
      ms_per_image: round(imageMs / samples.length, 1),
    }),
  );
}

void main();
