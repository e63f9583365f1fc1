import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { decodeImage } from '../../src/references/image-loader';
import { ClipTransport } from '../support/clip-transport';
import { FakeReferences } from '../support/flow-fakes';
import { fixture } from '../support/fixtures';
import { runFlow, useRealEngines } from '../support/flow-harness';
import { facePhoto, references } from './matcher-fixtures';

// A blink flow on a real webcam clip, ended by the embedded matcher against a reference photo.
describe('flow with the embedded matcher', { timeout: 3 * 60_000 }, () => {
  const engines = useRealEngines({ matcher: true });

  async function blinkFlowAgainst(reference: Parameters<typeof references>[0]) {
    const refs = new FakeReferences();
    refs.result = { usable: references(reference), skipped: [] };
    const { output, callbacks } = await runFlow({
      transport: new ClipTransport([{ file: fixture('videos', 'blink_webcam_viet281101.h264.mp4') }]),
      face: engines.face(),
      references: refs,
      matcher: engines.matcher(),
      challengeIds: ['blink'],
      flowId: 'embedded-matcher',
    });
    return { output, callbacks };
  }

  it('should end in success with a photo of the same person as reference', async () => {
    const reference = await decodeImage(readFileSync(fixture('expressions', 'viet_t1.0s_eyes_open.jpg')));
    const { output, callbacks } = await blinkFlowAgainst(reference);
    assert.equal(output.status, 'success', JSON.stringify(output));
    assert.equal(callbacks.attempts.length, 1);
  });

  it('should end in failure no_match with a photo of someone else', async () => {
    const { output, callbacks } = await blinkFlowAgainst(await facePhoto('barack_obama', 1));
    assert.equal(output.status, 'failure');
    assert.equal(output.reason, 'no_match');
    assert.equal(callbacks.attempts.length, 1);
  });
});
