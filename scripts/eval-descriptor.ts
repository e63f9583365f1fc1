/**
 * Measures the embedding models as the liveness identity descriptor (face_changed) on the shared clips: per clip
 * the first face within the angle limit is the identity, every later face within the limit of the same clip is a
 * genuine reading, every face within the limit of the other clips an impostor reading.
 * Usage: npm run eval:descriptor [-- --fps 2 --max-angle 25 --verbose]
 * Prints one JSON line per model. Nothing is written to disk.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { EMBEDDING_MODELS } from '../src/face-embedding/embedding-model';
import { loadEmbedder } from '../src/face-embedding/load-embedder';
import { i420ToRgb } from '../src/face/i420';
import { cosineDistance } from '../src/common/distance';
import { equalErrorRate } from '../src/matcher/embedded/error-rates';
import { FaceDetector } from '../src/matcher/embedded/face-detector';
import { embedFace } from '../src/matcher/embedded/face-embedder';
import { videoFrames } from '../test/support/video-frames';
import { fixturesDir } from '../test/support/fixtures';

function option(argv: string[], name: string, fallback: number): number {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? Number(argv[at + 1]) : fallback;
}

const round = (x: number) => Math.round(x * 1000) / 1000;
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const fps = option(argv, 'fps', 2);
  const maxAngle = option(argv, 'max-angle', 25);
  const verbose = argv.includes('--verbose');
  const detector = await FaceDetector.create();
  const embedders = await Promise.all(EMBEDDING_MODELS.map((m) => loadEmbedder(m)));
  const dir = join(fixturesDir(), 'videos');
  // Per clip and model: the readings within the angle limit, in order.
  const readings = new Map<string, Float32Array[][]>();
  for (const clip of readdirSync(dir).filter((f) => /\.(mp4|avi)$/.test(f))) {
    const perModel = embedders.map(() => [] as Float32Array[]);
    for await (const frame of videoFrames(join(dir, clip), { fps })) {
      const image = i420ToRgb(frame);
      const [face] = await detector.detect(image);
      if (!face || Math.abs(face.yawDeg) > maxAngle || Math.abs(face.pitchDeg) > maxAngle) continue;
      for (const [i, e] of embedders.entries()) perModel[i].push(await embedFace(e, image, face));
    }
    readings.set(clip, perModel);
  }
  for (const [i, model] of EMBEDDING_MODELS.entries()) {
    const genuine: number[] = [];
    const impostor: number[] = [];
    for (const [clip, perModel] of readings) {
      const [identity, ...rest] = perModel[i];
      if (!identity) continue;
      const own = rest.map((r) => cosineDistance(identity, r));
      genuine.push(...own);
      if (verbose) console.error(`${model} ${clip}: ${rest.length + 1} readings, highest genuine ${round(Math.max(...own))}`);
      for (const [other, theirs] of readings) {
        if (other === clip) continue;
        const distances = theirs[i].map((r) => cosineDistance(identity, r));
        impostor.push(...distances);
        if (verbose && distances.length) console.error(`${model} ${clip} vs ${other}: lowest ${round(Math.min(...distances))}`);
      }
    }
    const highestGenuine = Math.max(...genuine);
    const lowestImpostor = Math.min(...impostor);
    console.log(
      JSON.stringify({
        model,
        clips: readings.size,
        fps,
        max_angle_deg: maxAngle,
        genuine_readings: genuine.length,
        eer: round(equalErrorRate(genuine, impostor)),
        // Impostor readings a threshold at the highest genuine one would let through.
        impostor_below_genuine_max: round(impostor.filter((d) => d < highestGenuine).length / impostor.length),
        impostor_readings: impostor.length,
        genuine_p50: round(quantile(genuine, 0.5)),
        genuine_p99: round(quantile(genuine, 0.99)),
        genuine_max: round(highestGenuine),
        impostor_min: round(lowestImpostor),
        impostor_p01: round(quantile(impostor, 0.01)),
        // Halfway between the readings of the same person and of others, when they do not overlap.
        suggested_threshold: lowestImpostor > highestGenuine ? round((lowestImpostor + highestGenuine) / 2) : null,
      }),
    );
  }
}

void main();
