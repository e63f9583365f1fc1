import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Locales } from '../../src/common/locales';

describe(Locales.name, () => {
  const locales = Locales.load();

  it('should ship en, es, pt, fr and de', () => {
    assert.deepEqual(locales.languages.sort(), ['de', 'en', 'es', 'fr', 'pt']);
  });

  it('should resolve language tags: exact locale, else primary subtag, else en', () => {
    const cases: [string | undefined, string][] = [
      ['es', 'es'],
      ['es-AR', 'es'],
      ['es_AR', 'es'],
      ['pt-BR', 'pt'],
      ['EN', 'en'],
      [' De ', 'de'],
      ['zh-Hant-TW', 'en'],
      ['english', 'en'],
      ['', 'en'],
      [undefined, 'en'],
    ];
    for (const [tag, lang] of cases) assert.equal(locales.resolve(tag), lang, String(tag));
  });

  it('should have every key of en, non-empty, in every locale, with the same placeholders', () => {
    const en = locales.table('en');
    for (const lang of locales.languages) {
      const table = locales.table(lang);
      for (const [key, text] of Object.entries(en)) {
        assert.ok(table[key]?.trim(), `${lang} lacks ${key}`);
        const params = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort().join();
        assert.equal(params(table[key]), params(text), `${lang} ${key} placeholders`);
      }
      assert.deepEqual(
        Object.keys(table).filter((k) => !(k in en)),
        [],
        `${lang} has keys en lacks`,
      );
    }
  });

  it('should fill placeholders and fall back to en', () => {
    assert.equal(locales.text('es', 'status.challenge_progress', { index: 1, total: 2 }), 'Paso 1 de 2');
    assert.equal(locales.text('xx', 'status.verified'), locales.text('en', 'status.verified'));
  });
});
