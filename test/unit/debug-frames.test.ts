import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DebugFrameWriter } from '../../src/observability/debug-frames';

describe(DebugFrameWriter.name, () => {
  it('should write a flow’s images as JPEG files only where it was told to', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vision-debug-'));
    try {
      const image = { width: 8, height: 8, channels: 3 as const, data: new Uint8Array(192).fill(128) };
      new DebugFrameWriter(dir).save('flow/1', [
        { name: 'live-0', image },
        { name: 'reference-0', image },
      ]);
      for (let i = 0; i < 50 && (await readdir(dir)).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(await readdir(dir), ['flow_1']);
      assert.deepEqual((await readdir(join(dir, 'flow_1'))).sort(), ['live-0.jpg', 'reference-0.jpg']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
