import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VisionError } from '../../src/common/errors';
import type { RawImage } from '../../src/common/image';
import { loadConfig } from '../../src/config/app-config';
import { alignByEyes } from '../../src/face-embedding/align';
import { cosineDistance } from '../../src/common/distance';
import { atFmr, equalErrorRate } from '../../src/matcher/embedded/error-rates';

/** A black RGBA image with a white 3x3 dot at each point. */
function dots(width: number, height: number, points: { x: number; y: number }[]): RawImage {
  const data = new Uint8Array(width * height * 4);
  for (const p of points) {
    for (let y = p.y - 1; y <= p.y + 1; y++)
      for (let x = p.x - 1; x <= p.x + 1; x++) data.fill(255, (y * width + x) * 4, (y * width + x) * 4 + 3);
  }
  return { width, height, channels: 4, data };
}

/** Centre of the bright pixels of an RGB image inside a window. */
function brightCentre(image: RawImage, x0: number, x1: number): { x: number; y: number } {
  let sx = 0;
  let sy = 0;
  let n = 0;
  for (let y = 0; y < image.height; y++) {
    for (let x = x0; x < x1; x++) {
      const v = image.data[(y * image.width + x) * 3];
      sx += v * (x + 0.5);
      sy += v * (y + 0.5);
      n += v;
    }
  }
  return { x: sx / n, y: sy / n };
}

describe('alignByEyes', () => {
  it('should put tilted eyes level on the template positions', () => {
    const left = { x: 100.5, y: 140.5 };
    const right = { x: 180.5, y: 100.5 };
    const template = { size: 100, leftX: 0.3, rightX: 0.7, eyeY: 0.4 };
    const out = alignByEyes(
      dots(
        300,
        240,
        [left, right].map((p) => ({ x: Math.floor(p.x), y: Math.floor(p.y) })),
      ),
      left,
      right,
      template,
    );
    assert.equal(out.channels, 3);
    assert.equal(out.data.length, 100 * 100 * 3);
    const l = brightCentre(out, 0, 50);
    const r = brightCentre(out, 50, 100);
    assert.ok(Math.abs(l.x - 30) < 1 && Math.abs(l.y - 40) < 1, JSON.stringify(l));
    assert.ok(Math.abs(r.x - 70) < 1 && Math.abs(r.y - 40) < 1, JSON.stringify(r));
  });
});

describe('cosineDistance', () => {
  it('should be 0 for parallel, 1 for orthogonal and 2 for opposite vectors', () => {
    assert.ok(Math.abs(cosineDistance([1, 2, 3], [2, 4, 6])) < 1e-12);
    assert.equal(cosineDistance([1, 0], [0, 5]), 1);
    assert.equal(cosineDistance([1, 1], [-1, -1]), 2);
    assert.throws(() => cosineDistance([1], [1, 2]));
  });

  it('should have one rule for every caller (matcher and liveness identity): unequal or empty vectors throw, a zero vector is 1', () => {
    assert.throws(
      () => cosineDistance([1, 0, 0], [1, 0]),
      (e: unknown) => e instanceof VisionError && e.reason === 'internal_error' && /different lengths: 3 and 2/.test(e.message),
    );
    assert.throws(() => cosineDistance([], []), /empty vectors/);
    assert.equal(cosineDistance([0, 0], [1, 2]), 1);
    assert.equal(cosineDistance(new Float32Array([3, 4]), [6, 8]), 0);
  });
});

describe('error rates', () => {
  const genuine = [0.1, 0.2, 0.3, 0.6];
  const impostor = Array.from({ length: 1000 }, (_, i) => 0.25 + i / 1000);

  it('should take the highest threshold that keeps FMR within the target', () => {
    // 0.1 % of 1000 impostors: one may pass; the threshold is the second lowest impostor distance.
    const { threshold, fnmr } = atFmr(genuine, impostor, 1e-3);
    assert.equal(threshold, impostor[1]);
    assert.equal(impostor.filter((d) => d < threshold).length, 1);
    assert.equal(fnmr, 0.5);
  });

  it('should find the crossing of FMR and FNMR', () => {
    assert.equal(equalErrorRate([0.1, 0.2], [0.8, 0.9]), 0);
    const eer = equalErrorRate(genuine, impostor);
    assert.ok(eer > 0.05 && eer < 0.3, String(eer));
  });
});

describe('matcher configuration', () => {
  it('should leave the threshold and policy to the matcher in use when unset', () => {
    const m = loadConfig({}).matcher;
    assert.equal(m.MATCH_THRESHOLD, undefined);
    assert.equal(m.MATCH_POLICY, undefined);
    assert.equal(m.MATCHER_MODEL, 'faceapi');
    assert.equal(m.FACE_MATCH_BODY_LIMIT_MB, 15);
  });

  it('should refuse an unknown model by name', () => {
    assert.throws(() => loadConfig({ MATCHER_MODEL: 'vgg-face' }), /MATCHER_MODEL/);
  });
});
