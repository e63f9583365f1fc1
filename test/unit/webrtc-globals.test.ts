import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';

/** Runs `code` in a fresh node process after installWebRtcGlobals(), as the service does at its first join. */
function runAfterInstall(code: string): { status: number | null; stderr: string } {
  const module = JSON.stringify(join(__dirname, '../../src/transport/webrtc-globals.js'));
  const r = spawnSync(process.execPath, ['-e', `require(${module}).installWebRtcGlobals();\n${code}`], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, stderr: r.stderr };
}

describe('installWebRtcGlobals', () => {
  it('should still print an uncaught exception and an unhandled rejection, and exit 1 (its exit hook runs before Node prints)', () => {
    const thrown = runAfterInstall("setTimeout(() => { throw new Error('thrown from a timer'); }, 1);");
    assert.equal(thrown.status, 1);
    assert.match(thrown.stderr, /Error: thrown from a timer/);
    const rejected = runAfterInstall("Promise.reject(new Error('rejected, never handled'));");
    assert.equal(rejected.status, 1);
    assert.match(rejected.stderr, /Error: rejected, never handled/);
  });

  it("should leave an error taken by an 'uncaughtException' handler to that handler", () => {
    const handled = runAfterInstall(
      "process.on('uncaughtException', () => process.exit(2));\nsetTimeout(() => { throw new Error('handled'); }, 1);",
    );
    assert.deepEqual(handled, { status: 2, stderr: '' });
  });

  it('should keep the exit code of a process that ends by itself', () => {
    assert.deepEqual(runAfterInstall('process.exitCode = 3;'), { status: 3, stderr: '' });
    assert.deepEqual(runAfterInstall(''), { status: 0, stderr: '' });
  });
});
