import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DemoController } from '../../demo/demo-controller';
import { RunningApp, startApp } from '../support/app';
import { ClipTransport } from '../support/clip-transport';
import { fixture } from '../support/fixtures';

const TOKEN = 'viet_t1.0s_eyes_open.jpg';

// FACE_ENGINE=mediapipe as an operator sets it: the service builds the engine from its configuration.
describe('Vision Service with FACE_ENGINE=mediapipe', { timeout: 5 * 60_000 }, () => {
  let controller: DemoController;
  let service: RunningApp;
  const transport = new ClipTransport([{ file: fixture('videos', 'blink_webcam_viet281101.h264.mp4') }]);

  before(async () => {
    controller = await DemoController.create({ assetsDir: fixture('expressions'), log: () => undefined });
    service = await startApp(
      { FACE_ENGINE: 'mediapipe', MATCHER_WORKERS: '1', CHALLENGES: 'blink', NUMBER_OF_GESTURES_TO_REQUEST: '1', INSTRUCTION_S: '0.3' },
      { transport },
    );
    await service.ready(180_000);
  });
  after(async () => {
    await service?.close();
    await controller?.close();
  });

  it('should verify a blinking subject against their photo with one success callback', async () => {
    const joined = await service.join({
      ws_url: 'ws://127.0.0.1:1/?roomId=r&peerId=vision',
      callback_base_url: controller.baseUrl,
      token: TOKEN,
    });
    assert.equal(joined.status, 202, JSON.stringify(joined.body));
    const callbacks = await controller.waitForCallbacks(TOKEN, 1, 120_000);
    assert.deepEqual(
      callbacks.map((c) => c.status),
      ['success'],
    );
    const view = await (await fetch(`${service.baseUrl}/flows/${joined.body.flow_id}`)).json();
    assert.deepEqual(
      view.challenges.map((c: { id: string; status: string }) => [c.id, c.status]),
      [['blink', 'passed']],
    );
  });
});
