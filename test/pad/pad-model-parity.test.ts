import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { InferenceSession } from 'onnxruntime-node';
import { BlazeFace } from '../support/blazeface';
import { fixture, fixturesDir, REPO_ROOT } from '../support/fixtures';
import { mediaFrames } from '../support/pad-media';
import { BLAZEFACE_TO_PAD, calibrateBox } from '../../src/pad/box-calibration';
import { cropRegion, PAD_INPUT_SIZE, sampleCrop } from '../../src/pad/pad-crop';
import { PAD_MODELS, PAD_MODELS_DIR } from '../../src/pad/pad-scorer';

/** The torch.onnx exports the shipped files are rewritten from (scripts/models/convert_pad.py). */
const ORIGINALS_DIR = join(fixturesDir(), '..', 'models', 'minifasnet');
// Measured 6.3e-7 at most on these crops (float32 summation order); the box calibration and PAD_THRESHOLD were
// chosen on the originals' scores, which this keeps to well under a thousandth of the 0.5 threshold's margin.
const TOLERANCE = 1e-5;

describe('PAD models rewritten for onnxruntime (models/minifasnet)', { timeout: 10 * 60_000 }, () => {
  let ort: typeof import('onnxruntime-node');
  let detector: BlazeFace;
  const sessions: { original: InferenceSession; shipped: InferenceSession }[] = [];
  before(async () => {
    ort = await import('../../src/common/onnxruntime');
    detector = await BlazeFace.load();
    const options = { executionProviders: ['cpu'], intraOpNumThreads: 1 };
    for (const model of PAD_MODELS)
      sessions.push({
        original: await ort.InferenceSession.create(join(ORIGINALS_DIR, model.file), options),
        shipped: await ort.InferenceSession.create(join(PAD_MODELS_DIR, model.file), options),
      });
  });
  after(async () => {
    await detector?.close();
    for (const s of sessions) await Promise.all([s.original.release(), s.shipped.release()]);
  });

  it('should be rewritten graphs, not the exports themselves (no PRelu node left)', () => {
    // NodeProto.op_type (field 4, length 5) as serialised: names and doc strings may say "PRelu", nodes may not.
    const prelu = Buffer.from('\x22\x05PRelu', 'latin1');
    for (const model of PAD_MODELS) {
      const original = readFileSync(join(ORIGINALS_DIR, model.file));
      const shipped = readFileSync(join(PAD_MODELS_DIR, model.file));
      assert.ok(original.includes(prelu), `${model.file}: the export has PRelu`);
      assert.equal(shipped.includes(prelu), false, `${model.file}: PRelu left in the shipped graph`);
    }
  });

  it('should give the exports\' "real" probabilities on real fixture crops, per model and fused', async () => {
    const items = [
      fixture('videos', 'blink_webcam_viet281101.webm'),
      fixture('videos', 'headturn_webcam_zubair_real.webm'),
      fixture('attacks', 'videos', 'replay_screen_manikantha_fake.mp4'),
      fixture('attacks', 'videos', 'replay_phone_zubair_fake.webm'),
      ...readdirSync(fixture('attacks', 'images'))
        .filter((f) => f.endsWith('.jpg'))
        .map((f) => fixture('attacks', 'images', f)),
      ...['barack_obama', 'katy_perry', 'bbt_penny'].map((p) => fixture('faces', p, readdirSync(fixture('faces', p)).sort()[0])),
    ];
    const worst = PAD_MODELS.map(() => 0);
    let fusedWorst = 0;
    let crops = 0;
    const reals = { live: 0, spoof: 0 };
    for (const file of items) {
      for await (const frame of mediaFrames(file, 2)) {
        const faces = await detector.detect(frame);
        if (faces.length !== 1) continue;
        const box = calibrateBox(faces[0], BLAZEFACE_TO_PAD);
        let original = 0;
        let shipped = 0;
        for (let i = 0; i < PAD_MODELS.length; i++) {
          const input = new Float32Array(3 * PAD_INPUT_SIZE * PAD_INPUT_SIZE);
          sampleCrop(frame, cropRegion(frame.width, frame.height, box, PAD_MODELS[i].scale), input);
          const tensor = new ort.Tensor('float32', input, [1, 3, PAD_INPUT_SIZE, PAD_INPUT_SIZE]);
          const a = ((await sessions[i].original.run({ input: tensor })).prob.data as Float32Array)[1];
          const b = ((await sessions[i].shipped.run({ input: tensor })).prob.data as Float32Array)[1];
          worst[i] = Math.max(worst[i], Math.abs(a - b));
          original += a / PAD_MODELS.length;
          shipped += b / PAD_MODELS.length;
        }
        fusedWorst = Math.max(fusedWorst, Math.abs(original - shipped));
        reals[original > 0.5 ? 'live' : 'spoof']++;
        crops++;
      }
    }
    assert.ok(crops >= 60, `${crops} crops`);
    // Both sides of the threshold are covered, so the comparison is not only on saturated scores.
    assert.ok(reals.live >= 10 && reals.spoof >= 10, JSON.stringify(reals));
    PAD_MODELS.forEach((m, i) => assert.ok(worst[i] <= TOLERANCE, `${m.file}: max |Δ| ${worst[i]}`));
    assert.ok(fusedWorst <= TOLERANCE, `fused: max |Δ| ${fusedWorst}`);
  });

  it('models:convert-pad --check should reproduce the committed files byte for byte', () => {
    const run = spawnSync('bash', [join(REPO_ROOT, 'scripts', 'models', 'convert.sh'), '--check', '--only', 'pad'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr + run.stdout);
    assert.match(run.stdout, /3 files reproduced byte for byte/);
  });
});
