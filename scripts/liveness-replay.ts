/**
 * Runs the real face engine and the liveness runtime over a video file, challenges back to back as in a flow.
 * Prints one JSON line per challenge: {"challenge","passed","at_s","frames","ms_per_frame_median"}; with --pad the
 * engine also PAD-scores frames at PAD_FPS as a flow does (same worker round-trip) and every line gets the
 * replay's "frames_scored","score_median","window_min","suspect" (pad:score's fields).
 * Usage: npm run liveness:replay -- --clip <video> --challenge <id>[,<id>…] [--engine mediapipe] [--fps 15]
 *        [--start <s>] [--timeout <s>] [--pad]
 */
import { parseArgs } from 'node:util';
import { ALL_CHALLENGES } from '../challenges';
import { createNamedFaceEngine } from '../src/adapters';
import { FACE_ENGINES, type FaceEngineName } from '../src/face/face.env';
import { ChallengeRegistry } from '../src/liveness/challenge-registry';
import { advanceWhenPassed, livenessSettingsFor, currentPassed, observeFace, startLiveness } from '../src/liveness/liveness';
import { loadConfig } from '../src/config/app-config';
import { padScoreDue, type ScoredFrame } from '../src/pad/pad-policy';
import { padFields } from '../test/support/pad-media';
import { median, videoFrames } from '../test/support/video-frames';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clip: { type: 'string' },
      challenge: { type: 'string' },
      fps: { type: 'string', default: '15' },
      start: { type: 'string', default: '0' },
      timeout: { type: 'string' },
      engine: { type: 'string', default: FACE_ENGINES[0] },
      pad: { type: 'boolean', default: false },
    },
  });
  const engineName = values.engine as FaceEngineName;
  if (!FACE_ENGINES.includes(engineName)) throw new Error(`--engine must be one of ${FACE_ENGINES.join(', ')}`);
  if (!values.clip || !values.challenge)
    throw new Error('usage: --clip <video> --challenge <id>[,<id>…] [--fps 15] [--start <s>] [--timeout <s>]');
  const ids = values.challenge.split(',').map((s) => s.trim());
  const registry = new ChallengeRegistry(ALL_CHALLENGES);
  registry.assertKnown(ids);
  const timeoutMs = values.timeout ? Number(values.timeout) * 1000 : Infinity;
  const engine = createNamedFaceEngine(engineName, { workers: 1 });
  const settings = livenessSettingsFor(engine.descriptorModel, 5000);
  const pad = loadConfig().pad;
  const scored: ScoredFrame[] = [];
  const results = ids.map((challenge) => ({ challenge, passed: false, at_s: null as number | null, frames: 0, ms: [] as number[] }));
  try {
    // The engine's signals are known once it exists; inside the try so its workers are closed on the error.
    new ChallengeRegistry(ALL_CHALLENGES, undefined, engine.signals).assertMeasured(ids);
    await engine.ready();
    let state = startLiveness(ids);
    let challengeStartMs: number | undefined;
    for await (const frame of videoFrames(values.clip, { fps: Number(values.fps), start: Number(values.start) })) {
      const started = performance.now();
      const scoreDue = values.pad && padScoreDue(scored.at(-1)?.timestampMs, frame.timestampMs, pad.PAD_FPS);
      const observation = await engine.analyze(frame, 'replay', { pad: scoreDue });
      if (observation.padScore !== undefined) scored.push({ timestampMs: observation.timestampMs, score: observation.padScore });
      const ms = performance.now() - started;
      const index = state.current;
      state = observeFace(state, observation, registry.plugins, settings);
      if (index >= 0) {
        results[index].frames++;
        results[index].ms.push(ms);
      }
      if (state.failure) break;
      if (state.current !== index) challengeStartMs = observation.timestampMs;
      if (challengeStartMs !== undefined && observation.timestampMs - challengeStartMs > timeoutMs) break;
      if (currentPassed(state)) {
        results[state.current].passed = true;
        results[state.current].at_s = observation.timestampMs / 1000;
        if (state.current === ids.length - 1) break;
        state = advanceWhenPassed(state, registry.plugins);
        challengeStartMs = observation.timestampMs;
      }
    }
  } finally {
    await engine.close();
  }
  for (const r of results) {
    const line = {
      engine: engineName,
      challenge: r.challenge,
      passed: r.passed,
      at_s: r.at_s,
      frames: r.frames,
      ms_per_frame_median: Number(median(r.ms).toFixed(1)),
      ...(values.pad && padFields(scored, pad.PAD_THRESHOLD)),
    };
    console.log(JSON.stringify(line));
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
