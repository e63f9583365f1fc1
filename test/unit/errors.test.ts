import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VisionError, reasonOf } from '../../src/common/errors';

test('reasonOf keeps a typed reason and maps anything else to internal_error', () => {
  assert.equal(reasonOf(new VisionError('no_match', 'x')), 'no_match');
  assert.equal(reasonOf(new Error('boom')), 'internal_error');
  assert.equal(reasonOf('text'), 'internal_error');
});
