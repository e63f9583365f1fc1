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

test('models:convert --check reproduces the committed files byte for byte', { timeout: 120_000 }, () => {
  const run = spawnSync('bash', [join(REPO_ROOT, 'scripts', 'models', 'convert.sh'), '--check'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr + run.stdout);
  assert.match(run.stdout, /5 files reproduced byte for byte/);
});
