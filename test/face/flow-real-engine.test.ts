import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClipSegment, ClipTransport } from '../support/clip-transport';
import { fixture } from '../support/fixtures';
import { locales, runFlow as runHarnessFlow, useRealEngines } from '../support/flow-harness';

// The flow machine driven by the real face engine and the real plugins on real clips (the room is simulated
// here; the SFU path is tested in the sfu and e2e groups).
describe('flow with the real face engine', { timeout: 5 * 60_000 }, () => {
  const engines = useRealEngines();

  async function runFlow(challengeIds: string[], segments: ClipSegment[], face = engines.face()) {
    const transport = new ClipTransport(segments);
    const { output, matcher, callbacks } = await runHarnessFlow({
      transport,
      face,
      challengeIds,
      flowId: `real-${challengeIds.join('-')}`,
    });
    return { output, transport, matcher, callbacks };
  }

  it('should pass blink on the webcam blink clip, keep frontal live frames and report success once', async () => {
    const { output, matcher, callbacks, transport } = await runFlow(
      ['blink'],
      [{ file: fixture('videos', 'blink_webcam_viet281101.h264.mp4') }],
    );
    assert.equal(output.status, 'success', JSON.stringify(output));
    assert.deepEqual(output.challenges, [{ id: 'blink', passed: true }]);
    assert.ok(matcher.liveCounts[0] >= 3, `kept ${matcher.liveCounts[0]} live frames`);
    assert.equal(callbacks.attempts.length, 1);
    assert.equal(transport.closes, 1);
    const shown = transport.shown.map((s) => s.text);
    assert.ok(shown.includes(locales.text('en', 'challenge.blink')));
    assert.equal(transport.shown.at(-1)?.phase, 'verified');
  });

  it('should time out on smile when the subject only blinks', async () => {
    const { output } = await runFlow(['smile'], [{ file: fixture('videos', 'blink_webcam_viet281101.h264.mp4') }]);
    assert.equal(output.status, 'failure');
    assert.equal(output.reason, 'challenge_timeout');
  });

  it('should pass two challenges back to back: turn right, then left, on the head-turn clip', async () => {
    const { output } = await runFlow(
      ['turn-head-right', 'turn-head-left'],
      // From 4 s: the first challenge starts ≈ 1.8 s into playback (join, instruction), still frontal; from 5.5 s it
      // began mid-turn, and an engine that loses the face past ≈ 50° of yaw (MediaPipe's mesh) never saw the turn.
      [{ file: fixture('videos', 'headturn_webcam_zubair_real.h264.mp4'), start: 4 }],
    );
    assert.equal(output.status, 'success', JSON.stringify(output));
  });

  it('should fail with face_changed when another person takes over between challenges', async () => {
    const { output } = await runFlow(
      ['open-close-mouth', 'smile'],
      [{ file: fixture('videos', 'liveportrait_d18.mp4'), start: 0, duration: 5 }, { file: fixture('videos', 'liveportrait_d0.mp4') }],
    );
    assert.deepEqual(output.challenges, [
      { id: 'open-close-mouth', passed: true },
      { id: 'smile', passed: false },
    ]);
    assert.equal(output.reason, 'face_changed');
  });
});
