import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where locales/<lang>.json live (the repo's top-level folder, also inside dist builds). */
export const LOCALES_DIR = join(__dirname, '..', '..', '..', 'locales');
export const DEFAULT_LANG = 'en';

export type LocaleTable = Readonly<Record<string, string>>;

/** All shipped locales, loaded once. */
export class Locales {
  private constructor(private readonly tables: ReadonlyMap<string, LocaleTable>) {}

  static load(dir: string = LOCALES_DIR): Locales {
    const tables = new Map<string, LocaleTable>();
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      tables.set(file.slice(0, -5), JSON.parse(readFileSync(join(dir, file), 'utf8')) as LocaleTable);
    }
    if (!tables.has(DEFAULT_LANG)) throw new Error(`locale ${DEFAULT_LANG} missing in ${dir}`);
    return new Locales(tables);
  }

  get languages(): string[] {
    return [...this.tables.keys()];
  }

  has(lang: string): boolean {
    return this.tables.has(lang);
  }

  /**
   * The shipped language for a requested tag (`es-AR`, `es_AR`, `EN`, `zh-Hant-TW`): the exact locale, else its
   * primary subtag, else en. Empty or missing means en.
   */
  resolve(tag: string | undefined): string {
    const wanted = (tag ?? '').trim().replace(/_/g, '-').toLowerCase();
    const shipped = (candidate: string) => this.languages.find((lang) => lang.toLowerCase() === candidate);
    return shipped(wanted) ?? shipped(wanted.split('-')[0]) ?? DEFAULT_LANG;
  }

  table(lang: string): LocaleTable {
    return this.tables.get(lang) ?? (this.tables.get(DEFAULT_LANG) as LocaleTable);
  }

  /** The text of `key` in `lang` (falling back to English, then to the key), with {params} filled in. */
  text(lang: string, key: string, params: Record<string, string | number> = {}): string {
    const raw = this.table(lang)[key] ?? this.table(DEFAULT_LANG)[key] ?? key;
    return raw.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
  }
}
