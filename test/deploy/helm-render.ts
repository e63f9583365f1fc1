/**
 * A small renderer for the Helm templates of deploy/helm/vision-service, because Helm itself cannot be
 * installed here. It implements only the Go-template subset the chart uses and throws on anything else
 * (an unknown function, `else if`, `template`, a missing values key…), so a chart change it cannot render
 * breaks the test instead of passing silently.
 *
 * Supported: text with `{{- … -}}` trimming and `{{/* … *\/}}` comments; `if`/`else`/`end`, `with`/`else`/`end`,
 * `range` over lists and maps (optionally `$k, $v :=` or `$v :=`), `define`; pipelines of fields (`.Values.a.b`,
 * `.`, `$`, `$.Values.x`, `$v`), string/number/bool literals and parenthesised pipelines; functions include,
 * toYaml, nindent, indent, quote, default, not, and, or, add, gt, sha256sum, fail.
 * Differences from Helm kept on purpose: a missing key under `.Values` is an error (Helm renders it empty),
 * so every value the chart reads must be declared in values.yaml.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';

/** A rendered chart: every non-empty YAML document, and NOTES.txt. */
export interface RenderedChart {
  documents: { source: string; text: string; object: Record<string, unknown> }[];
  notes: string;
}

/** Thrown for template constructs this renderer does not implement, and for template errors. */
export class TemplateError extends Error {
  constructor(where: string, message: string) {
    super(`${where}: ${message}`);
    this.name = 'TemplateError';
  }
}

type Value = unknown;
type Scope = { dot: Value; root: Value; vars: Map<string, Value> };

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipeline }
  | { kind: 'if' | 'with'; pipe: Pipeline; then: Node[]; otherwise: Node[] }
  | { kind: 'range'; vars: string[]; pipe: Pipeline; body: Node[] };

type Operand =
  | { kind: 'field'; base: 'dot' | string; path: string[] }
  | { kind: 'literal'; value: Value }
  | { kind: 'sub'; pipe: Pipeline }
  | { kind: 'func'; name: string };
type Pipeline = Operand[][];

const FUNCTIONS: Record<string, (...args: Value[]) => Value> = {
  toYaml: (v) => (v === undefined || v === null ? 'null' : stringify(v).replace(/\n$/, '')),
  nindent: (n, s) => '\n' + indentLines(Number(n), str(s)),
  indent: (n, s) => indentLines(Number(n), str(s)),
  quote: (...vs) => vs.map((v) => JSON.stringify(v === undefined || v === null ? '' : str(v))).join(' '),
  default: (fallback, given) => (truthy(given) ? given : fallback),
  not: (v) => !truthy(v),
  and: (...vs) => vs.find((v) => !truthy(v)) ?? vs[vs.length - 1],
  or: (...vs) => vs.find((v) => truthy(v)) ?? vs[vs.length - 1],
  add: (...vs) =>
    vs.reduce<number>((sum, v) => {
      if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`add: ${JSON.stringify(v)} is not an integer`);
      return sum + v;
    }, 0),
  gt: (a, b) => {
    if (typeof a !== 'number' || typeof b !== 'number')
      throw new Error(`gt: ${JSON.stringify(a)}, ${JSON.stringify(b)} are not both numbers`);
    return a > b;
  },
  sha256sum: (s) => createHash('sha256').update(str(s)).digest('hex'),
  fail: (message) => {
    throw new Error(`fail: ${str(message)}`);
  },
};

function indentLines(n: number, s: string): string {
  const pad = ' '.repeat(n);
  return s
    .split('\n')
    .map((line) => pad + line)
    .join('\n');
}

/** Go template truthiness: false, 0, nil, "" and empty lists/maps are false. */
function truthy(v: Value): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

/** How `{{ x }}` prints a scalar; lists and maps must go through toYaml. */
function str(v: Value): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new Error(`cannot print a ${Array.isArray(v) ? 'list' : 'map'} (use toYaml)`);
}

// ---------- lexing and parsing ----------

type Token = { kind: 'text'; text: string } | { kind: 'action'; body: string };

function lex(source: string, where: string): Token[] {
  const tokens: Token[] = [];
  let rest = source;
  let trimNext = false;
  while (rest.length > 0) {
    const open = rest.indexOf('{{');
    let text = open < 0 ? rest : rest.slice(0, open);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (open < 0) {
      tokens.push({ kind: 'text', text });
      break;
    }
    const close = rest.indexOf('}}', open);
    if (close < 0) throw new TemplateError(where, 'unclosed {{');
    let body = rest.slice(open + 2, close);
    if (/^-\s/.test(body)) {
      text = text.replace(/\s+$/, '');
      body = body.slice(1);
    }
    trimNext = /\s-$/.test(body);
    if (trimNext) body = body.slice(0, -1);
    tokens.push({ kind: 'text', text });
    body = body.trim();
    if (!(body.startsWith('/*') && body.endsWith('*/'))) tokens.push({ kind: 'action', body });
    rest = rest.slice(close + 2);
  }
  return tokens.filter((t) => t.kind === 'action' || t.text !== '');
}

function tokenizeAction(body: string, where: string): string[] {
  const words: string[] = [];
  const re = /\s*("(?:[^"\\]|\\.)*"|`[^`]*`|\(|\)|\||:=|,|[^\s()|,]+)/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(body)) !== null) {
    words.push(m[1]);
    consumed = re.lastIndex;
  }
  if (body.slice(consumed).trim() !== '') throw new TemplateError(where, `cannot tokenize "${body}"`);
  return words;
}

function parsePipeline(words: string[], where: string): Pipeline {
  let pos = 0;
  const pipeline = (): Pipeline => {
    const commands: Operand[][] = [[]];
    while (pos < words.length && words[pos] !== ')') {
      const w = words[pos++];
      if (w === '|') {
        commands.push([]);
        continue;
      }
      const command = commands[commands.length - 1];
      if (w === '(') {
        const sub = pipeline();
        if (words[pos++] !== ')') throw new TemplateError(where, 'missing )');
        command.push({ kind: 'sub', pipe: sub });
      } else {
        command.push(operand(w, command.length === 0));
      }
    }
    if (commands.some((c) => c.length === 0)) throw new TemplateError(where, `empty command in "${words.join(' ')}"`);
    return commands;
  };
  const operand = (w: string, first: boolean): Operand => {
    if (w.startsWith('"')) return { kind: 'literal', value: JSON.parse(w) as string };
    if (w.startsWith('`')) return { kind: 'literal', value: w.slice(1, -1) };
    if (/^-?\d+$/.test(w)) return { kind: 'literal', value: Number(w) };
    if (w === 'true' || w === 'false') return { kind: 'literal', value: w === 'true' };
    if (w === '.') return { kind: 'field', base: 'dot', path: [] };
    if (/^(\.[A-Za-z_]\w*)+$/.test(w)) return { kind: 'field', base: 'dot', path: w.slice(1).split('.') };
    const variable = /^\$(\w*)((?:\.[A-Za-z_]\w*)*)$/.exec(w);
    if (variable) return { kind: 'field', base: '$' + variable[1], path: variable[2] ? variable[2].slice(1).split('.') : [] };
    if (first && /^[A-Za-z]\w*$/.test(w)) {
      if (w !== 'include' && !(w in FUNCTIONS)) throw new TemplateError(where, `unsupported function "${w}"`);
      return { kind: 'func', name: w };
    }
    throw new TemplateError(where, `unsupported operand "${w}"`);
  };
  const result = pipeline();
  if (pos !== words.length) throw new TemplateError(where, `unexpected ")" in "${words.join(' ')}"`);
  return result;
}

const UNSUPPORTED_KEYWORDS = new Set(['template', 'block', 'break', 'continue', 'tpl', 'lookup', 'required', 'printf', 'toJson']);

/** Parses a template into nodes; `define` blocks go to `defines`. */
function parseTemplate(source: string, where: string, defines: Map<string, Node[]>): Node[] {
  const tokens = lex(source, where);
  let pos = 0;
  // Parses until one of `stops`; returns the nodes and the stopping keyword.
  const block = (stops: string[]): { nodes: Node[]; stop: string } => {
    const nodes: Node[] = [];
    while (pos < tokens.length) {
      const token = tokens[pos++];
      if (token.kind === 'text') {
        nodes.push({ kind: 'text', text: token.text });
        continue;
      }
      const words = tokenizeAction(token.body, where);
      const keyword = words[0];
      if (UNSUPPORTED_KEYWORDS.has(keyword)) throw new TemplateError(where, `unsupported construct "{{ ${token.body} }}"`);
      if (keyword === 'end' || keyword === 'else') {
        if (words.length !== 1) throw new TemplateError(where, `unsupported construct "{{ ${token.body} }}"`);
        if (!stops.includes(keyword)) throw new TemplateError(where, `unexpected {{ ${keyword} }}`);
        return { nodes, stop: keyword };
      }
      if (keyword === 'if' || keyword === 'with') {
        const pipe = parsePipeline(words.slice(1), where);
        const then = block(['else', 'end']);
        const otherwise = then.stop === 'else' ? block(['end']).nodes : [];
        nodes.push({ kind: keyword, pipe, then: then.nodes, otherwise });
      } else if (keyword === 'range') {
        let rest = words.slice(1);
        const vars: string[] = [];
        const assign = rest.indexOf(':=');
        if (assign >= 0) {
          const names = rest.slice(0, assign).filter((w) => w !== ',');
          if (names.length < 1 || names.length > 2 || names.some((n) => !/^\$\w+$/.test(n)))
            throw new TemplateError(where, `unsupported range variables in "${token.body}"`);
          vars.push(...names);
          rest = rest.slice(assign + 1);
        }
        const body = block(['end']);
        nodes.push({ kind: 'range', vars, pipe: parsePipeline(rest, where), body: body.nodes });
      } else if (keyword === 'define') {
        if (words.length !== 2 || !words[1].startsWith('"')) throw new TemplateError(where, `bad define "${token.body}"`);
        const name = JSON.parse(words[1]) as string;
        if (defines.has(name)) throw new TemplateError(where, `"${name}" defined twice`);
        defines.set(name, block(['end']).nodes);
      } else {
        if (words.includes(':=') || words.includes('=')) throw new TemplateError(where, `unsupported assignment "${token.body}"`);
        nodes.push({ kind: 'action', pipe: parsePipeline(words, where) });
      }
    }
    if (stops.length > 0) throw new TemplateError(where, `missing {{ end }}`);
    return { nodes, stop: '' };
  };
  return block([]).nodes;
}

// ---------- evaluation ----------

class Evaluator {
  constructor(
    private readonly defines: Map<string, Node[]>,
    private readonly where: string,
  ) {}

  render(nodes: Node[], scope: Scope): string {
    let out = '';
    for (const node of nodes) {
      switch (node.kind) {
        case 'text':
          out += node.text;
          break;
        case 'action': {
          const value = this.pipeline(node.pipe, scope);
          try {
            out += str(value);
          } catch (error) {
            throw new TemplateError(this.where, (error as Error).message);
          }
          break;
        }
        case 'if': {
          const value = this.pipeline(node.pipe, scope);
          out += this.render(truthy(value) ? node.then : node.otherwise, scope);
          break;
        }
        case 'with': {
          const value = this.pipeline(node.pipe, scope);
          out += truthy(value) ? this.render(node.then, { ...scope, dot: value }) : this.render(node.otherwise, scope);
          break;
        }
        case 'range': {
          const value = this.pipeline(node.pipe, scope);
          if (value === undefined || value === null) break;
          if (typeof value !== 'object') throw new TemplateError(this.where, `range over a ${typeof value}`);
          const entries: [Value, Value][] = Array.isArray(value)
            ? value.map((v, i) => [i, v])
            : Object.keys(value)
                .sort()
                .map((k) => [k, (value as Record<string, Value>)[k]]);
          for (const [key, item] of entries) {
            const vars = new Map(scope.vars);
            if (node.vars.length === 1) vars.set(node.vars[0], item);
            if (node.vars.length === 2) vars.set(node.vars[0], key).set(node.vars[1], item);
            out += this.render(node.body, { ...scope, dot: item, vars });
          }
          break;
        }
      }
    }
    return out;
  }

  private pipeline(pipe: Pipeline, scope: Scope): Value {
    let piped: { value: Value } | undefined;
    for (const command of pipe) {
      const [head, ...rest] = command;
      const args = rest.map((o) => this.operand(o, scope));
      if (piped) args.push(piped.value);
      let value: Value;
      if (head.kind === 'func') {
        value = this.call(head.name, args, scope);
      } else {
        if (args.length > 0) throw new TemplateError(this.where, 'arguments after a value');
        value = this.operand(head, scope);
      }
      piped = { value };
    }
    return piped?.value;
  }

  private call(name: string, args: Value[], scope: Scope): Value {
    if (name === 'include') {
      const [template, context] = args;
      const nodes = this.defines.get(str(template));
      if (!nodes) throw new TemplateError(this.where, `include of undefined template "${str(template)}"`);
      if (args.length !== 2) throw new TemplateError(this.where, 'include takes a name and a context');
      return this.render(nodes, { dot: context, root: context, vars: new Map([['$', context]]) });
    }
    try {
      return FUNCTIONS[name](...args);
    } catch (error) {
      throw new TemplateError(this.where, (error as Error).message);
    }
  }

  private operand(op: Operand, scope: Scope): Value {
    switch (op.kind) {
      case 'literal':
        return op.value;
      case 'sub':
        return this.pipeline(op.pipe, scope);
      case 'func':
        return this.call(op.name, [], scope);
      case 'field': {
        let value: Value;
        if (op.base === 'dot') value = scope.dot;
        else if (op.base === '$') value = scope.root;
        else if (scope.vars.has(op.base)) value = scope.vars.get(op.base);
        else throw new TemplateError(this.where, `undefined variable ${op.base}`);
        const walked: string[] = [];
        for (const key of op.path) {
          walked.push(key);
          if (value === null || typeof value !== 'object' || Array.isArray(value))
            throw new TemplateError(this.where, `cannot read .${walked.join('.')} (parent is not a map)`);
          if (!(key in value)) throw new TemplateError(this.where, `missing key .${walked.join('.')}`);
          value = (value as Record<string, Value>)[key];
        }
        return value;
      }
    }
  }
}

// ---------- the chart ----------

function isMap(v: Value): v is Record<string, Value> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Helm's values merge: maps merge key by key, anything else replaces. */
export function mergeValues(base: Value, override: Value): Value {
  if (!isMap(base) || !isMap(override)) return override;
  const out: Record<string, Value> = { ...base };
  for (const [k, v] of Object.entries(override)) out[k] = k in base ? mergeValues(base[k], v) : v;
  return out;
}

/** Renders one template source against a context (used by the renderer's own tests). */
export function renderString(source: string, context: Value, defines = new Map<string, Node[]>()): string {
  const nodes = parseTemplate(source, 'inline', defines);
  return new Evaluator(defines, 'inline').render(nodes, { dot: context, root: context, vars: new Map([['$', context]]) });
}

/** Renders the chart at `chartDir` like `helm template <release> <chart> -f overrides`. */
export function renderChart(
  chartDir: string,
  overrides: Record<string, unknown> = {},
  release = { name: 'vision', namespace: 'default' },
): RenderedChart {
  const chart = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as Record<string, string>;
  const defaults = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;
  const context = {
    Values: mergeValues(defaults, overrides),
    Release: { Name: release.name, Namespace: release.namespace, Service: 'Helm', IsInstall: true, IsUpgrade: false },
    Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion, Description: chart.description },
  };
  const templatesDir = join(chartDir, 'templates');
  const defines = new Map<string, Node[]>();
  const parsed = readdirSync(templatesDir)
    .sort()
    .map((file) => ({ file, nodes: parseTemplate(readFileSync(join(templatesDir, file), 'utf8'), `templates/${file}`, defines) }));
  const documents: RenderedChart['documents'] = [];
  let notes = '';
  for (const { file, nodes } of parsed) {
    if (file.startsWith('_')) {
      if (nodes.some((n) => n.kind !== 'text' || n.text.trim() !== ''))
        throw new TemplateError(`templates/${file}`, 'helper files may only hold define blocks');
      continue;
    }
    const text = new Evaluator(defines, `templates/${file}`).render(nodes, {
      dot: context,
      root: context,
      vars: new Map([['$', context]]),
    });
    if (file === 'NOTES.txt') {
      notes = text;
      continue;
    }
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) throw new TemplateError(`templates/${file}`, `invalid YAML: ${doc.errors[0].message}\n${text}`);
      const object = doc.toJS() as Record<string, unknown> | null;
      if (object === null) continue;
      documents.push({ source: `templates/${file}`, text: String(doc), object });
    }
  }
  return { documents, notes };
}
