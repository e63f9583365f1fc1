import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/fixtures';
import { MODEL_DIR, MODEL_NAMES } from '../support/face-models';

const CONVERTED = [...MODEL_NAMES.map((m) => `${m}.onnx`), 'geometry_pipeline_metadata_landmarks.json'];

test('every converted file is listed in CONVERTED.md with its size and sha256', () => {
  const notes = readFileSync(join(MODEL_DIR, 'CONVERTED.md'), 'utf8');
  const listed = new Map([...notes.matchAll(/^- `([^`]+)`: (\d+) bytes, sha256 `([0-9a-f]{64})`/gm)].map((m) => [m[1], m.slice(2)]));
  assert.deepEqual([...listed.keys()].sort(), [...CONVERTED].sort());
  for (const file of CONVERTED) {
    const data = readFileSync(join(MODEL_DIR, file));
    assert.deepEqual([String(data.length), createHash('sha256').update(data).digest('hex')], listed.get(file), file);
  }
  const task = readFileSync(join(MODEL_DIR, 'face_landmarker.task'));
  assert.ok(notes.includes(createHash('sha256').update(task).digest('hex')), 'source .task sha256 noted');
});

test('the canonical face JSON has the 468 vertices, triangles and Procrustes basis of the metadata', () => {
  const geometry = JSON.parse(readFileSync(join(MODEL_DIR, 'geometry_pipeline_metadata_landmarks.json'), 'utf8')) as {
    inputSource: string;
    canonicalMesh: { vertices: number[][]; uv: number[][]; triangles: number[][] };
    procrustesLandmarkBasis: { landmarkId: number; weight: number }[];
  };
  const { vertices, uv, triangles } = geometry.canonicalMesh;
  assert.equal(geometry.inputSource, 'FACE_LANDMARK_PIPELINE');
  assert.equal(vertices.length, 468);
  assert.equal(uv.length, 468);
  assert.ok(vertices.every((v) => v.length === 3 && v.every(Number.isFinite)));
  assert.equal(triangles.length, 898);
  assert.ok(triangles.flat().every((i) => Number.isInteger(i) && i >= 0 && i < 468));
  const basis = geometry.procrustesLandmarkBasis;
  assert.equal(basis.length, 33);
  assert.ok(basis.every((b) => b.landmarkId < 468 && b.weight > 0));
  // Nose tip (landmark 4) is the frontmost point of the canonical face (+z towards the camera, centimetres).
  assert.equal(
    vertices.reduce((best, v, i) => (v[2] > vertices[best][2] ? i : best), 0),
    4,
  );
});

test('models:convert --check reproduces the committed files byte for byte', { timeout: 120_000 }, () => {
  const run = spawnSync('bash', [join(REPO_ROOT, 'scripts', 'models', 'convert.sh'), '--check', '--only', 'landmarker'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr + run.stdout);
  assert.match(run.stdout, /5 files reproduced byte for byte/);
});
