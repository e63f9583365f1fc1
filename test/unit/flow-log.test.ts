import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FLOW_LOG_BURST } from '../../src/observability/logger';

interface Line {
  msg: string;
  flow_id?: string;
  token?: string;
  component?: string;
  suppressed_lines?: number;
}

/** Runs `script` in a node process where `flowLog` is the real one writing to stdout; returns its JSON lines. */
function logLines(script: string): Line[] {
  const logger = join(__dirname, '..', '..', 'src', 'observability', 'logger.js');
  const out = execFileSync(process.execPath, ['-e', `const { flowLog } = require(${JSON.stringify(logger)});\n${script}`], {
    env: { ...process.env, LOG_LEVEL: 'info' },
    encoding: 'utf8',
    timeout: 10_000,
  });
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);
}

describe('flowLog', () => {
  it('should put flow_id, token and the component on every line, the child replacing the component', () => {
    const lines = logLines(`
      const log = flowLog('f1', 't1', { component: 'flow' });
      log.log('a');
      log.child('references').warn('b');
      log.child('references').child('matcher').error('c');
    `);
    assert.deepEqual(
      lines.map((l) => [l.msg, l.flow_id, l.token, l.component]),
      [
        ['a', 'f1', 't1', 'flow'],
        ['b', 'f1', 't1', 'references'],
        ['c', 'f1', 't1', 'matcher'],
      ],
    );
  });

  it('should rate-limit a flow as one: its children draw from the same budget, and the next line tells the count', () => {
    const lines = logLines(`
      const log = flowLog('f2', 't2', { component: 'flow' });
      const transport = log.child('transport');
      for (let i = 0; i < ${FLOW_LOG_BURST}; i++) (i % 2 ? log : transport).log('line ' + i);
      for (let i = 0; i < 10; i++) transport.warn('flood ' + i);
      setTimeout(() => log.log('after a second'), 1100);
    `);
    assert.equal(lines.length, FLOW_LOG_BURST + 1);
    assert.ok(lines.slice(0, FLOW_LOG_BURST).every((l) => l.msg.startsWith('line ')));
    const last = lines[FLOW_LOG_BURST];
    assert.equal(last.suppressed_lines, 10);
    assert.match(last.msg, /^after a second \(10 earlier lines of this flow were suppressed\)$/);
  });

  it('should give each flow its own budget', () => {
    const lines = logLines(`
      const a = flowLog('fa');
      const b = flowLog('fb');
      for (let i = 0; i < ${FLOW_LOG_BURST + 5}; i++) a.log('a');
      b.log('b');
    `);
    assert.equal(lines.filter((l) => l.flow_id === 'fa').length, FLOW_LOG_BURST);
    assert.equal(lines.filter((l) => l.flow_id === 'fb').length, 1);
  });
});
