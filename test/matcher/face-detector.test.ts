import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { FaceDetector } from '../../src/matcher/embedded/face-detector';
import { decodeImage } from '../../src/references/image-loader';
import { faceFile, facePhoto, faceless, twoFaces } from './matcher-fixtures';

/** The matcher's still-image detector on the face engine's ONNX models (each test file runs in its own process). */
describe('FaceDetector (matcher, still images)', { timeout: 2 * 60_000 }, () => {
  let detector: FaceDetector;

  before(async () => {
    detector = await FaceDetector.create();
  });

  it('should find both faces of a two-person photo, largest first, with eyes inside their boxes', async () => {
    const image = await decodeImage(await twoFaces(faceFile('barack_obama', 1), faceFile('joe_biden', 2)));
    const faces = await detector.detect(image);
    assert.equal(faces.length, 2, JSON.stringify(faces.map((f) => f.box)));
    assert.ok(faces[0].box[2] > faces[1].box[2], 'largest first');
    for (const f of faces) {
      const [x, y, w, h] = f.box;
      for (const eye of [f.leftEye, f.rightEye]) assert.ok(eye.x > x && eye.x < x + w && eye.y > y && eye.y < y + h, JSON.stringify(f));
      assert.ok(f.leftEye.x < f.rightEye.x);
      assert.ok(Math.abs(f.yawDeg) < 30 && Math.abs(f.pitchDeg) < 30, `frontal press photos: ${f.yawDeg}, ${f.pitchDeg}`);
    }
  });

  it('should find no face in a gradient', async () => {
    assert.deepEqual(await detector.detect(await decodeImage(await faceless())), []);
  });

  it('should not load TFJS or Human', async () => {
    await detector.detect(await facePhoto('joe_biden', 2));
    const loaded = Object.keys(require.cache).filter((m) => /@tensorflow|@vladmandic[\\/]human/.test(m));
    assert.deepEqual(loaded, []);
  });
});
