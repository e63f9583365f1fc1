import type { Locales } from '../common/locales';
import type { FaceSignal } from '../face/face-analysis.port';
import type { ChallengeDefinition } from './challenge-definition';
import type { ChallengePlugins } from './liveness';

/** The installed challenge plugins. Strict: duplicate ids, unknown names and signals the engine lacks throw. */
export class ChallengeRegistry {
  readonly plugins: ChallengePlugins;

  /**
   * With `locales`, also throws when a plugin's instruction is missing from any shipped language. `signals` are what
   * the running face engine measures (FaceAnalysisPort.signals); without them every signal counts as measured.
   */
  constructor(
    definitions: readonly ChallengeDefinition<any>[],
    locales?: Locales,
    private readonly signals?: readonly FaceSignal[],
  ) {
    const plugins = new Map<string, ChallengeDefinition>();
    for (const definition of definitions) {
      if (plugins.has(definition.id)) throw new Error(`challenge "${definition.id}" is registered twice`);
      plugins.set(definition.id, definition as ChallengeDefinition);
    }
    this.plugins = plugins;
    if (locales) this.assertLocalized(locales);
  }

  /** Throws unless every plugin's instructionKey exists in every locale. */
  assertLocalized(locales: Locales): void {
    const missing = [...this.plugins.values()].flatMap((p) =>
      locales.languages.filter((lang) => !(p.instructionKey in locales.table(lang))).map((lang) => `${p.instructionKey} (${lang})`),
    );
    if (missing.length > 0) throw new Error(`challenge texts missing from locales: ${missing.join(', ')}`);
  }

  get ids(): string[] {
    return [...this.plugins.keys()];
  }

  /** The pool when CHALLENGES is empty: the challenges validated on labelled real footage that the engine can run. */
  get defaultIds(): string[] {
    return [...this.plugins.values()].filter((p) => p.validatedOn && this.missingSignals(p).length === 0).map((p) => p.id);
  }

  /** Throws when a named challenge needs a signal the face engine does not measure (checked at start-up). */
  assertMeasured(ids: readonly string[]): void {
    const lacking = ids.flatMap((id) => {
      const plugin = this.plugins.get(id);
      const missing = plugin ? this.missingSignals(plugin) : [];
      return missing.length > 0 ? [`${id} needs ${missing.join(', ')}`] : [];
    });
    if (lacking.length > 0) {
      throw new Error(`challenges the face engine cannot run: ${lacking.join('; ')} (it measures ${this.signals!.join(', ')})`);
    }
  }

  private missingSignals(plugin: ChallengeDefinition): FaceSignal[] {
    return this.signals ? plugin.needs.filter((signal) => !this.signals!.includes(signal)) : [];
  }

  /** Throws when a name is not an installed challenge (config is checked at start-up with this). */
  assertKnown(ids: readonly string[]): void {
    const unknown = ids.filter((id) => !this.plugins.has(id));
    if (unknown.length > 0) throw new Error(`unknown challenges: ${unknown.join(', ')} (installed: ${this.ids.join(', ')})`);
  }

  /** Throws unless `count` different challenges can be picked from `allowed` (checked at start-up). */
  assertCanSelect(count: number, allowed: readonly string[]): void {
    const pool = allowed.length > 0 ? [...new Set(allowed)] : this.defaultIds;
    this.assertKnown(pool);
    this.assertMeasured(pool);
    if (count > pool.length) throw new Error(`cannot pick ${count} different challenges out of ${pool.length}`);
  }

  /** Picks `count` distinct challenges at random from `allowed` (empty: the validated ones). */
  select(count: number, allowed: readonly string[] = [], random: () => number = Math.random): string[] {
    this.assertCanSelect(count, allowed);
    const pool = allowed.length > 0 ? [...new Set(allowed)] : this.defaultIds;
    for (let i = pool.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    return pool.slice(0, count);
  }

  /** The challenge a PAD step-up adds: one of `allowed` not selected yet, else the first selected one again. */
  stepUpChallenge(selected: readonly string[], allowed: readonly string[] = [], random: () => number = Math.random): string {
    const pool = allowed.length > 0 ? [...new Set(allowed)] : this.defaultIds;
    const unused = pool.filter((id) => !selected.includes(id));
    return unused.length > 0 ? unused[Math.floor(random() * unused.length)] : selected[0];
  }
}
