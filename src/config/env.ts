/** A typed, documented environment variable. */
export interface EnvVar<T> {
  /** Default as written in .env.example; undefined means unset. */
  example: string;
  doc: string;
  parse(raw: string | undefined): T;
}

/** Thrown at start-up when variables are invalid; names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

function present(raw: string | undefined): raw is string {
  return raw !== undefined && raw.trim() !== '';
}

/** A number within [min, max]; integer unless `float`. */
export function num(defaultValue: number, doc: string, opts: { min: number; max: number; float?: boolean }): EnvVar<number> {
  return {
    example: String(defaultValue),
    doc,
    parse(raw) {
      if (!present(raw)) return defaultValue;
      const value = Number(raw);
      const kind = opts.float ? 'a number' : 'an integer';
      if (!Number.isFinite(value) || (!opts.float && !Number.isInteger(value))) throw new Error(`must be ${kind}, got "${raw}"`);
      if (value < opts.min || value > opts.max) throw new Error(`must be between ${opts.min} and ${opts.max}, got ${value}`);
      return value;
    },
  };
}

export function bool(defaultValue: boolean, doc: string): EnvVar<boolean> {
  return {
    example: String(defaultValue),
    doc,
    parse(raw) {
      if (!present(raw)) return defaultValue;
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      throw new Error(`must be true or false, got "${raw}"`);
    },
  };
}

export function str(defaultValue: string, doc: string): EnvVar<string> {
  return { example: defaultValue, doc, parse: (raw) => (present(raw) ? raw.trim() : defaultValue) };
}

export function optionalStr(doc: string): EnvVar<string | undefined> {
  return { example: '', doc, parse: (raw) => (present(raw) ? raw.trim() : undefined) };
}

export function oneOf<T extends string>(values: readonly T[], defaultValue: T, doc: string): EnvVar<T> {
  return {
    example: defaultValue,
    doc: `${doc} (${values.join(' | ')})`,
    parse(raw) {
      if (!present(raw)) return defaultValue;
      const value = raw.trim() as T;
      if (!values.includes(value)) throw new Error(`must be one of ${values.join(', ')}, got "${raw}"`);
      return value;
    },
  };
}

/** An http(s) URL without trailing slash, or undefined when unset. */
export function optionalHttpUrl(doc: string): EnvVar<string | undefined> {
  return {
    example: '',
    doc,
    parse(raw) {
      if (!present(raw)) return undefined;
      let url: URL;
      try {
        url = new URL(raw.trim());
      } catch {
        throw new Error(`must be an http(s) URL, got "${raw}"`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`must be an http(s) URL, got "${raw}"`);
      return url.toString().replace(/\/+$/, '');
    },
  };
}

/** A comma-separated list; empty means `defaultValue`. */
export function list(defaultValue: string[], doc: string): EnvVar<string[]> {
  return {
    example: defaultValue.join(','),
    doc,
    parse(raw) {
      if (!present(raw)) return defaultValue;
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    },
  };
}

export type EnvSchema = Record<string, EnvVar<unknown>>;
export type EnvValues<S extends EnvSchema> = { [K in keyof S]: S[K] extends EnvVar<infer T> ? T : never };

/** The schema's values when nothing is set: the one place a default is written is the variable's own. */
export function defaultsOf<S extends EnvSchema>(schema: S): EnvValues<S> {
  const problems: string[] = [];
  const values = readEnv(schema, {}, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return values;
}

/** Parses every variable of the schema; collects all problems before throwing. */
export function readEnv<S extends EnvSchema>(schema: S, env: NodeJS.ProcessEnv, problems: string[]): EnvValues<S> {
  const values: Record<string, unknown> = {};
  for (const [name, variable] of Object.entries(schema)) {
    try {
      values[name] = variable.parse(env[name]);
    } catch (error) {
      problems.push(`${name}: ${(error as Error).message}`);
    }
  }
  return values as EnvValues<S>;
}
