import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EMBEDDING_MODEL_SPECS } from '../../src/face-embedding/embedding-model';
import { REPO_ROOT } from '../support/fixtures';

describe('models/embeddings', () => {
  const dir = join(REPO_ROOT, 'models', 'embeddings');
  const notice = readFileSync(join(dir, 'CONVERTED.md'), 'utf8');

  for (const [name, spec] of Object.entries(EMBEDDING_MODEL_SPECS)) {
    it(`should hold ${name}'s .onnx file with the sha256 listed in CONVERTED.md`, () => {
      const file = spec.onnxFile.split('/').pop()!;
      const row = notice.split('\n').find((line) => line.startsWith(`| ${file} |`));
      assert.ok(row, `${file} missing from CONVERTED.md`);
      const listed = row.split('|').at(-2)!.trim();
      assert.equal(createHash('sha256').update(readFileSync(spec.onnxFile)).digest('hex'), listed);
    });
  }

  it('should be reproduced byte for byte by the converter from node_modules', () => {
    // About a second: the converter writes into a temp dir and compares every file with the committed one.
    const out = execFileSync('bash', [join(REPO_ROOT, 'scripts', 'models', 'convert.sh'), '--check', '--only', 'embeddings'], { encoding: 'utf8' });
    assert.match(out, /committed files reproduced byte for byte/);
  });

  it('should carry the licences of the source packages', () => {
    for (const licence of ['LICENSE-human', 'LICENSE-face-api']) assert.match(readFileSync(join(dir, licence), 'utf8'), /MIT License/);
  });
});
