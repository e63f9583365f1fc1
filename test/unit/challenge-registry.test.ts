import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL_CHALLENGES } from '../../challenges';
import { LOCALES_DIR, Locales } from '../../src/common/locales';
import { MEDIAPIPE_SIGNALS } from '../../src/face/mediapipe/mediapipe-face.engine';
import { defineChallenge } from '../../src/liveness/challenge-definition';
import { ChallengeRegistry } from '../../src/liveness/challenge-registry';

const CHALLENGES_DIR = join(__dirname, '..', '..', '..', 'challenges');
const dummy = (id: string, instructionKey = `challenge.${id}`) =>
  defineChallenge({
    id,
    instructionKey,
    needs: [],
    thresholds: {},
    initialState: () => ({}),
    step: (state) => ({ state, progress: 0, status: 'running' }),
  });

/** A random source that replays the given values. */
const sequence = (values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length];
};

describe(ChallengeRegistry.name, () => {
  test('ships the eleven plugins with their locale texts in every language', () => {
    const registry = new ChallengeRegistry(ALL_CHALLENGES, Locales.load());
    assert.deepEqual(registry.ids.sort(), [
      'blink',
      'look-down',
      'look-eyes-left',
      'look-eyes-right',
      'look-up',
      'open-close-mouth',
      'smile',
      'tilt-head-left',
      'tilt-head-right',
      'turn-head-left',
      'turn-head-right',
    ]);
  });

  test('duplicate ids throw', () => {
    assert.throws(() => new ChallengeRegistry([dummy('a'), dummy('a')]), /registered twice/);
  });

  test('a plugin whose instruction is missing from a locale throws', () => {
    assert.throws(() => new ChallengeRegistry([dummy('no-such-text')], Locales.load()), /no-such-text \(en\)/);
    const dir = mkdtempSync(join(tmpdir(), 'locales-'));
    try {
      writeFileSync(join(dir, 'en.json'), JSON.stringify({ 'challenge.a': 'A' }));
      writeFileSync(join(dir, 'es.json'), JSON.stringify({}));
      assert.throws(() => new ChallengeRegistry([dummy('a')], Locales.load(dir)), /challenge\.a \(es\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('select picks without repeats, from the allowed list, driven by the injected random source', () => {
    const registry = new ChallengeRegistry(ALL_CHALLENGES);
    for (let seed = 0; seed < 20; seed++) {
      const picked = registry.select(3, [], sequence([seed / 20, 0.99, 0.5, 0.01]));
      assert.equal(new Set(picked).size, 3);
    }
    const allowed = ['blink', 'smile'];
    assert.deepEqual(registry.select(2, allowed, () => 0.99).sort(), allowed.sort());
    assert.deepEqual(
      registry.select(1, allowed, () => 0),
      registry.select(1, allowed, () => 0),
    );
    assert.notDeepEqual(
      registry.select(2, allowed, () => 0),
      registry.select(2, allowed, () => 0.99),
    );
  });

  test('by default only the challenges validated on labelled real footage are picked; the others are opt-in', () => {
    const registry = new ChallengeRegistry(ALL_CHALLENGES);
    const validated = ALL_CHALLENGES.filter((c) => c.validatedOn)
      .map((c) => c.id)
      .sort();
    assert.equal(validated.length, 9);
    assert.ok(!validated.includes('look-up') && !validated.includes('look-down'));
    assert.deepEqual(registry.defaultIds.sort(), validated);
    for (let seed = 0; seed < 20; seed++) {
      for (const id of registry.select(2, [], sequence([seed / 20, 0.37, 0.71]))) assert.ok(validated.includes(id), id);
    }
    assert.deepEqual(registry.select(2, ['look-up', 'look-down']).sort(), ['look-down', 'look-up']);
    assert.throws(() => registry.select(10, []), /cannot pick 10 different challenges out of 9/);
  });

  test('a challenge needing a signal the face engine does not measure is left out of the default pool and refused by name', () => {
    const withoutGaze = new ChallengeRegistry(ALL_CHALLENGES, undefined, ['eyes', 'mouth', 'smile', 'headPose']);
    assert.ok(!withoutGaze.defaultIds.some((id) => id.startsWith('look-eyes-')), withoutGaze.defaultIds.join());
    assert.equal(withoutGaze.defaultIds.length, 7);
    for (let i = 0; i < 10; i++) assert.ok(!withoutGaze.stepUpChallenge(['blink'], [], () => i / 10).startsWith('look-eyes-'));
    assert.throws(
      () => withoutGaze.assertCanSelect(2, ['blink', 'look-eyes-left']),
      /challenges the face engine cannot run: look-eyes-left needs gaze \(it measures eyes, mouth, smile, headPose\)/,
    );
    const headOnly = new ChallengeRegistry(ALL_CHALLENGES, undefined, ['headPose']);
    assert.throws(() => headOnly.assertCanSelect(1, ['smile', 'tilt-head-left']), /: smile needs smile, mouth \(it measures headPose\)$/);
    assert.doesNotThrow(() => headOnly.assertCanSelect(2, ['tilt-head-left', 'turn-head-right']));
    // With the default engine's signals every installed challenge can run.
    const everything = new ChallengeRegistry(ALL_CHALLENGES, undefined, MEDIAPIPE_SIGNALS);
    assert.doesNotThrow(() => everything.assertCanSelect(1, everything.ids));
    assert.deepEqual(everything.defaultIds, new ChallengeRegistry(ALL_CHALLENGES).defaultIds);
  });

  test('select refuses unknown ids and impossible counts', () => {
    const registry = new ChallengeRegistry(ALL_CHALLENGES);
    assert.throws(() => registry.select(1, ['juggle']), /unknown challenges: juggle/);
    assert.throws(() => registry.select(3, ['blink', 'smile']), /cannot pick 3/);
  });

  test('the PAD step-up challenge is an allowed one not selected yet, else the first selected again', () => {
    const registry = new ChallengeRegistry(ALL_CHALLENGES);
    assert.equal(registry.stepUpChallenge(['look-up'], ['look-up', 'look-down']), 'look-down');
    assert.equal(registry.stepUpChallenge(['blink', 'smile'], ['smile', 'blink']), 'blink');
    for (let i = 0; i < 10; i++) {
      const id = registry.stepUpChallenge(['blink'], [], () => i / 10);
      assert.ok(registry.defaultIds.includes(id) && id !== 'blink', id);
    }
  });

  test('every hint key a plugin can show exists in every locale', () => {
    const sources = readdirSync(CHALLENGES_DIR)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => readFileSync(join(CHALLENGES_DIR, f), 'utf8'));
    const keys = new Set(sources.flatMap((s) => [...s.matchAll(/'((?:hint|warning)\.[a-z_]+)'/g)].map((m) => m[1])));
    assert.ok(keys.size >= 3);
    const locales = Locales.load(LOCALES_DIR);
    for (const lang of locales.languages) for (const key of keys) assert.ok(key in locales.table(lang), `${key} in ${lang}`);
  });
});
