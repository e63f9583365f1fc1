/**
 * A real browser as the subject: headless Chromium opens the demo's subject page, its fake camera loops the
 * webcam blink clip, the page joins the room through the real SFU, and the Vision Service (real face engine,
 * embedded matcher) asks for a blink. Runs in a loopback-only network namespace (see scripts/run-tests.ts).
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DemoStack } from '../../demo/web/demo-stack';
import { waitUntil } from '../support/wait';
import { ChromiumSubject, launchChromiumSubject, skipWithoutChromium } from '../support/chromium-subject';
import { fixture, REPO_ROOT } from '../support/fixtures';

const BLINK_CLIP = fixture('videos', 'blink_webcam_viet281101.h264.mp4');
/** The same man at 1.0 s of the clip, eyes open: a genuine reference. */
const GENUINE_REFERENCE = fixture('expressions', 'viet_t1.0s_eyes_open.jpg');
/** CI keeps this folder (outside the tracked files) as an artifact. */
const ARTIFACTS_DIR = process.env.VISION_ARTIFACTS_DIR ?? join(REPO_ROOT, 'artifacts');

describe('the subject page in Chromium', { skip: skipWithoutChromium, timeout: 6 * 60_000 }, () => {
  let stack: DemoStack;
  let subject: ChromiumSubject;

  before(async () => {
    stack = await DemoStack.create({
      referenceFile: GENUINE_REFERENCE,
      env: { CHALLENGES: 'blink', NUMBER_OF_GESTURES_TO_REQUEST: '1', CHALLENGE_TIMEOUT_S: '20', FACE_WORKERS: '1', MATCHER_WORKERS: '1' },
      log: () => undefined,
    });
    subject = await launchChromiumSubject({ clip: BLINK_CLIP });
  });

  after(async () => {
    await subject?.close();
    await stack?.close();
  });

  /** Clicks Verify and resolves with the session once the page has asked for a verification. */
  async function verify() {
    const before = stack.sessions.length;
    await subject.page.goto(stack.url);
    await subject.page.click('#verify');
    await waitUntil(() => stack.sessions.length > before, 30_000, 'the page to ask for a verification');
    return stack.sessions.at(-1)!;
  }

  /** Waits for the verdict, for the service to leave the room, and returns the controller's callbacks. */
  async function verdict(session: { token: string; roomId: string }) {
    await stack.controller.waitForCallbacks(session.token, 1, 120_000);
    await waitUntil(() => !stack.rooms.peerIds(session.roomId).includes('vision-service'), 15_000, 'the service to leave the room');
    await subject.page.waitForFunction(() => document.body.dataset.outcome !== undefined, undefined, { timeout: 15_000 });
    return stack.controller.callbacks.filter((c) => c.token === session.token);
  }

  it('should pass blink with a genuine reference, show the instructions, and send exactly one success', async () => {
    const page = subject.page;
    const contacted: string[] = [];
    subject.context.on('request', (request) => contacted.push(request.url()));
    page.on('websocket', (socket) => contacted.push(socket.url()));
    const session = await verify();
    // The service's video is playing, with the first instruction or the blink instruction drawn over it.
    await page.waitForFunction(
      () => {
        const video = document.getElementById('service-video') as HTMLVideoElement;
        return video.videoWidth > 0 && video.currentTime > 0.5 && (document.body.dataset.challenge ?? document.body.dataset.outcome);
      },
      undefined,
      { timeout: 60_000 },
    );
    await mkdir(ARTIFACTS_DIR, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'browser-subject.png') });
    // Inside the face guide the subject's own mirrored face shows, not a flat picture.
    const faceArea = await page.evaluate(() => {
      const video = document.getElementById('service-video') as HTMLVideoElement;
      const canvas = Object.assign(document.createElement('canvas'), { width: 640, height: 480 });
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(video, 0, 0, 640, 480);
      const { data } = ctx.getImageData(280, 250, 80, 80);
      const luma = [];
      for (let i = 0; i < data.length; i += 4) luma.push(0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2]);
      const mean = luma.reduce((a, b) => a + b, 0) / luma.length;
      return { mean, std: Math.sqrt(luma.reduce((a, y) => a + (y - mean) ** 2, 0) / luma.length) };
    });
    assert.ok(
      faceArea.std > 8,
      `the service's video shows the subject (face area luma mean ${faceArea.mean.toFixed(0)}, std ${faceArea.std.toFixed(1)})`,
    );

    const callbacks = await verdict(session);
    assert.deepEqual(
      callbacks.map((c) => c.status),
      ['success'],
      callbacks.map((c) => c.body).join('\n'),
    );
    assert.equal(JSON.parse(callbacks[0].body).challenges[0].id, 'blink');
    assert.equal(await page.getAttribute('body', 'data-outcome'), 'success');
    assert.match((await page.textContent('#callbacks')) ?? '', new RegExp(`PUT /success/${session.token}`));
    const elsewhere = contacted.filter((url) => !url.startsWith('data:') && new URL(url).hostname !== '127.0.0.1');
    assert.deepEqual(elsewhere, [], 'the page loads nothing from other hosts');
    assert.ok(
      contacted.some((url) => url.startsWith('ws://127.0.0.1:')),
      'the page joined the room over protoo',
    );
  });

  it('should verify again as the demo does, against the frame the page took from the camera', async () => {
    stack.referenceFile = undefined;
    const session = await verify();
    const listed = await (await fetch(`${stack.controller.baseUrl}/list/${session.token}`)).json();
    assert.match(listed[0], /^data:image\/jpeg;base64,/, 'the captured frame is listed as a data URL');
    const callbacks = await verdict(session);
    assert.deepEqual(
      callbacks.map((c) => c.status),
      ['success'],
      callbacks.map((c) => c.body).join('\n'),
    );
    assert.equal(
      (await fetch(`${stack.controller.baseUrl}/list/${session.token}`)).status,
      404,
      'the reference is forgotten after the verdict',
    );
  });
});
