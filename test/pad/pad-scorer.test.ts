import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { BlazeFace } from '../support/blazeface';
import { mediaFrames } from '../support/pad-media';
import { rgbToI420 } from '../../src/face/i420';
import { BLAZEFACE_TO_PAD } from '../../src/pad/box-calibration';
import type { PadSource } from '../../src/pad/pad-crop';
import { addScore, closeOpenWindow, EMPTY_PAD_TRACE, padNeedsStepUp, type PadTrace } from '../../src/pad/pad-policy';
import { PAD_MODELS, PAD_MODELS_DIR, PadModelError, PadScorer } from '../../src/pad/pad-scorer';
import { fixture } from '../support/fixtures';

const THRESHOLD = 0.5;

describe('PAD models', () => {
  it('should ship the two ONNX files with the sha256 of models/minifasnet/SHA256SUMS', () => {
    const sums = readFileSync(join(PAD_MODELS_DIR, 'SHA256SUMS'), 'utf8');
    for (const model of PAD_MODELS) {
      const actual = createHash('sha256')
        .update(readFileSync(join(PAD_MODELS_DIR, model.file)))
        .digest('hex');
      assert.equal(actual, model.sha256, model.file);
      assert.match(sums, new RegExp(`^${actual}  ${model.file.replace(/\./g, '\\.')}$`, 'm'));
    }
    for (const notice of ['LICENSE', 'PROVENANCE.md']) assert.ok(readFileSync(join(PAD_MODELS_DIR, notice), 'utf8').length > 500, notice);
  });

  it('should refuse an altered model file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pad-models-'));
    try {
      for (const m of PAD_MODELS) copyFileSync(join(PAD_MODELS_DIR, m.file), join(dir, m.file));
      const bytes = readFileSync(join(dir, PAD_MODELS[1].file));
      bytes[bytes.length - 1] ^= 1;
      writeFileSync(join(dir, PAD_MODELS[1].file), bytes);
      await assert.rejects(PadScorer.load(dir), (e: unknown) => e instanceof PadModelError && /has sha256/.test(e.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// The real models and the real BlazeFace detector on real fixture frames.
describe('PAD scorer on fixture frames', { timeout: 10 * 60_000 }, () => {
  let detector: BlazeFace;
  let scorer: PadScorer;
  before(async () => {
    detector = await BlazeFace.load();
    scorer = await PadScorer.load();
  });
  after(async () => {
    await detector?.close();
    await scorer?.close();
  });

  async function firstFrame(file: string): Promise<PadSource> {
    for await (const frame of mediaFrames(file, 1)) return frame;
    throw new Error(`no frame in ${file}`);
  }

  async function scoreOne(source: PadSource): Promise<number> {
    const faces = await detector.detect(source);
    assert.equal(faces.length, 1, 'one face');
    return scorer.score(source, faces[0]);
  }

  /** The clip scored as a flow does it (5 frames/s, one face only), folded into windows. */
  async function clipTrace(file: string, from = 0, to = Infinity): Promise<PadTrace> {
    let trace = EMPTY_PAD_TRACE;
    for await (const frame of mediaFrames(file, 5)) {
      if (frame.timestampMs < from * 1000 || frame.timestampMs >= to * 1000) continue;
      const faces = await detector.detect(frame);
      if (faces.length === 1)
        trace = addScore(trace, { timestampMs: frame.timestampMs, score: await scorer.score(frame, faces[0]) }, THRESHOLD);
    }
    return closeOpenWindow(trace, THRESHOLD, Infinity);
  }

  it('should score the live capture high and its print and tablet presentations low', async () => {
    const img = (n: string) => fixture('attacks', 'images', n);
    const live = await scoreOne(await firstFrame(img('silentface_image_T1_real.jpg')));
    const print = await scoreOne(await firstFrame(img('silentface_image_F1_print_attack.jpg')));
    const screen = await scoreOne(await firstFrame(img('frame_manikantha_fake_t5.5s_screen_replay.jpg')));
    assert.ok(live > 0.9, `live ${live}`);
    assert.ok(print < 0.1, `print ${print}`);
    assert.ok(screen < 0.1, `screen replay ${screen}`);
  });

  it('should score an I420 frame like the RGB image it came from', async () => {
    const rgb = await firstFrame(fixture('attacks', 'images', 'frame_zubair_real_t1.0s_bonafide.jpg'));
    assert.ok('channels' in rgb);
    const even = { ...rgb, width: rgb.width & ~1, height: rgb.height & ~1 };
    const crop = new Uint8Array(even.width * even.height * 3);
    for (let y = 0; y < even.height; y++)
      crop.set(rgb.data.subarray(y * rgb.width * 3, (y * rgb.width + even.width) * 3), y * even.width * 3);
    const image = { ...even, data: crop };
    const box = (await detector.detect(image))[0];
    const fromRgb = await scorer.score(image, box);
    const fromI420 = await scorer.score(rgbToI420(image), box);
    assert.ok(Math.abs(fromRgb - fromI420) < 0.05, `rgb ${fromRgb} vs i420 ${fromI420}`);
  });

  it('should make the screen-replay clip suspect and leave the live webcam clips clear', async () => {
    const replay = await clipTrace(fixture('attacks', 'videos', 'replay_screen_manikantha_fake.mp4'));
    assert.ok(replay.windows.length >= 5, `${replay.windows.length} windows`);
    assert.equal(padNeedsStepUp(replay, 'stepup'), true);
    assert.ok(Math.max(...replay.windows.map((w) => w.mean)) < THRESHOLD, JSON.stringify(replay.windows));
    for (const clip of ['blink_webcam_viet281101.webm', 'headturn_webcam_zubair_real.webm']) {
      const live = await clipTrace(fixture('videos', clip));
      assert.ok(live.windows.length >= 4, `${clip}: ${live.windows.length} windows`);
      assert.equal(live.suspectedAtMs, undefined, `${clip}: ${JSON.stringify(live.windows)}`);
      assert.ok(Math.min(...live.windows.map((w) => w.mean)) > 0.7, `${clip}: ${JSON.stringify(live.windows)}`);
    }
  });

  it('should score live frames better with the shipped box calibration than with the WIDER FACE–shaped box (docs/pad.md)', async () => {
    const wider = { sx: 0.9, sy: 1.141, dx: -0.022, dy: -0.089 };
    const shipped: number[] = [];
    const widerScores: number[] = [];
    for await (const frame of mediaFrames(fixture('videos', 'headturn_webcam_zubair_real.webm'), 1)) {
      const faces = await detector.detect(frame);
      if (faces.length !== 1) continue;
      shipped.push(await scorer.score(frame, faces[0], BLAZEFACE_TO_PAD));
      widerScores.push(await scorer.score(frame, faces[0], wider));
    }
    const low = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 10)];
    assert.ok(shipped.length >= 10, `${shipped.length} frames`);
    assert.ok(low(shipped) > low(widerScores), `p10 shipped ${low(shipped)} vs wider ${low(widerScores)}`);
  });

  it('scoreFace should load the models in a worker thread and score there, the same on every call', async () => {
    const image = await firstFrame(fixture('attacks', 'images', 'silentface_image_T1_real.jpg'));
    const box = (await detector.detect(image))[0];
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const { scoreFace } = require(${JSON.stringify(require.resolve('../../src/pad/pad-scorer'))});
      (async () => {
        const first = await scoreFace(workerData.image, workerData.box);
        const second = await scoreFace(workerData.image, workerData.box);
        parentPort.postMessage({ first, second });
      })().catch((e) => parentPort.postMessage({ error: String(e) }));`;
    const worker = new Worker(code, { eval: true, workerData: { image, box } });
    try {
      const reply = await new Promise<{ first: number; second: number; error?: string }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      assert.equal(reply.error, undefined);
      assert.ok(reply.first > 0.9, JSON.stringify(reply));
      assert.equal(reply.second, reply.first);
    } finally {
      await worker.terminate();
    }
  });
});
