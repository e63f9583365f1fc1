import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../support/fixtures';

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  image: string;
  name?: string;
  steps: Instruction[];
}

/** Stages of a Dockerfile: continuations folded, comments dropped, instructions upper-cased. */
function parseDockerfile(text: string): Stage[] {
  const lines = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, op, args] = /^\s*(\S+)\s*(.*)$/.exec(line) as RegExpExecArray;
    if (op.toUpperCase() === 'FROM') {
      const [image, as, name] = args.split(/\s+/);
      stages.push({ image, name: as?.toUpperCase() === 'AS' ? name : undefined, steps: [] });
    } else {
      assert.ok(stages.length > 0, `${op} before FROM`);
      stages[stages.length - 1].steps.push({ op: op.toUpperCase(), args: args.trim() });
    }
  }
  return stages;
}

/** COPY flags and paths: `--from=build --chown=x a b dest`. */
function copyArgs(args: string): { from?: string; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
  const paths = words.filter((w) => !w.startsWith('--'));
  return { from, sources: paths.slice(0, -1), dest: paths[paths.length - 1] };
}

const DOCKERFILE = join(REPO_ROOT, 'Dockerfile');
const SCRIPT = join(REPO_ROOT, 'scripts', 'check-dockerfile.sh');

describe('Dockerfile', () => {
  const stages = parseDockerfile(readFileSync(DOCKERFILE, 'utf8'));
  const final = stages[stages.length - 1];
  const steps = (op: string, stage = final) => stage.steps.filter((s) => s.op === op);

  it('should build in named stages from a Node 20 slim image', () => {
    assert.ok(stages.length >= 2, 'multi-stage');
    for (const stage of stages) assert.match(stage.image, /^node:20(\.\d+)*(-[a-z]+)?-slim$/);
    for (const stage of stages.slice(0, -1)) assert.ok(stage.name, `stage ${stage.image} is named`);
  });

  it('should run the final stage as an unprivileged user', () => {
    const users = steps('USER');
    assert.equal(users.length, 1);
    assert.ok(!['root', '0', '0:0'].includes(users[0].args), `USER ${users[0].args}`);
    const order = final.steps.map((s) => s.op);
    assert.ok(order.indexOf('USER') < order.indexOf('CMD'), 'USER before CMD');
    assert.ok(
      steps('COPY').every((c) => !/--chown=(node|1000)/.test(c.args)),
      'the app files stay read-only to the app user',
    );
  });

  it('should expose port 5000, listen on it and check /health', () => {
    assert.deepEqual(
      steps('EXPOSE').map((s) => s.args),
      ['5000'],
    );
    assert.ok(steps('ENV').some((s) => /\bPORT=5000\b/.test(s.args)));
    const [healthcheck] = steps('HEALTHCHECK');
    assert.ok(healthcheck, 'HEALTHCHECK');
    assert.match(healthcheck.args, /\bCMD\b.*\/health\b/);
    assert.deepEqual(JSON.parse(steps('CMD')[0].args), ['node', 'dist/src/main.js']);
    assert.ok(existsSync(join(REPO_ROOT, 'src', 'main.ts')));
  });

  it('should ship only production dependencies', () => {
    assert.deepEqual(steps('RUN'), [], 'the final stage installs nothing');
    const modules = steps('COPY').find((c) => copyArgs(c.args).sources.some((s) => s.endsWith('/node_modules')));
    assert.ok(modules, 'node_modules comes from a build stage');
    const build = stages.find((s) => s.name === copyArgs(modules.args).from);
    assert.ok(build, 'the stage node_modules comes from');
    const npmRuns = steps('RUN', build)
      .map((s) => s.args)
      .filter((a) => /\bnpm\b/.test(a));
    assert.match(npmRuns[0], /\bnpm ci\b/, 'installs from the lockfile');
    assert.match(npmRuns[npmRuns.length - 1], /npm prune --omit=dev\s*$/, 'the last npm step prunes dev dependencies');
  });

  it('should COPY only files the repository has, outside .dockerignore', () => {
    const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'));
    const tracked = existsSync(join(REPO_ROOT, '.git'));
    const names = new Set(stages.map((s) => s.name));
    let checked = 0;
    for (const stage of stages) {
      for (const copy of steps('COPY', stage)) {
        const { from, sources } = copyArgs(copy.args);
        if (from) {
          assert.ok(names.has(from), `COPY --from=${from} names a stage`);
          continue;
        }
        for (const source of sources) {
          assert.ok(existsSync(join(REPO_ROOT, source)), `COPY source ${source} exists`);
          assert.ok(
            !ignored.some((pattern) => source === pattern || source.startsWith(`${pattern}/`)),
            `${source} is not in .dockerignore`,
          );
          // A clean checkout (CI, docker build from git) has only tracked files.
          if (tracked)
            assert.notEqual(
              execFileSync('git', ['ls-files', '--', source], { cwd: REPO_ROOT, encoding: 'utf8' }).trim(),
              '',
              `${source} is committed`,
            );
          checked++;
        }
      }
    }
    assert.ok(checked >= 6, `only ${checked} COPY sources found`);
  });
});

describe('scripts/check-dockerfile.sh', () => {
  it('should refuse a Dockerfile whose COPY source is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vision-dockerfile-test-'));
    try {
      const broken = join(dir, 'Dockerfile');
      writeFileSync(
        broken,
        'FROM node:20-bookworm-slim AS build\nWORKDIR /app\nCOPY package.json ./\nCOPY no-such-folder no-such-folder\n',
      );
      const result = spawnSync('bash', [SCRIPT, broken], { encoding: 'utf8', timeout: 60_000 });
      assert.notEqual(result.status, 0);
      assert.match(result.stderr, /COPY source no-such-folder does not exist/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Runs the Dockerfile's build natively (npm ci, tsc, npm prune) and starts the pruned tree: a minute or two.
  it('should build the image tree natively and serve /health and /ready from production dependencies only', () => {
    const result = spawnSync('bash', [SCRIPT], { encoding: 'utf8', timeout: 15 * 60_000, maxBuffer: 64 * 1024 * 1024 });
    assert.equal(result.status, 0, `check-dockerfile.sh failed:\n${result.stderr.slice(-4000)}`);
    const summary = JSON.parse(result.stdout.trim().split('\n').pop() as string) as Record<string, string | number>;
    console.log(JSON.stringify(summary));
    assert.equal(summary.dockerfile, 'Dockerfile');
    assert.ok(Number(summary.stages) >= 2);
    assert.ok(Number(summary.idle_rss_mib) > 0);
    assert.ok(!existsSync(String(summary.scratch)), 'the scratch directory is removed');
  });
});
