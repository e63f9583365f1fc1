/**
 * Runs the real face engine over the fixture clips and writes test/traces/<clip>.json: compact per-frame numbers
 * (no images, no descriptors) that the challenge unit tests replay without the engine.
 * Usage: node dist/scripts/extract-traces.js [--engine mediapipe] [--fps 15] [clip-name-substring …]
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { createNamedFaceEngine } from '../src/adapters';
import { FACE_ENGINES, type FaceEngineName } from '../src/face/face.env';
import { TRACE_COLUMNS, toTraceRow, type Trace } from '../test/traces/trace';
import { videoFrames } from '../test/support/video-frames';
import { fixturesDir } from '../test/support/fixtures';

const TRACE_DIR = join(__dirname, '..', '..', 'test', 'traces');

function clips(filters: string[]): string[] {
  const dirs = [join(fixturesDir(), 'videos'), join(fixturesDir(), 'attacks', 'videos')];
  const files = dirs.flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => /\.(mp4|avi)$/.test(f))
      .map((f) => join(dir, f)),
  );
  // The .h264.mp4 copies decode the same pictures as their .webm originals.
  return files.filter((f) => filters.length === 0 || filters.some((x) => basename(f).includes(x)));
}

async function main(): Promise<void> {
  const { values, positionals: filters } = parseArgs({
    allowPositionals: true,
    options: { fps: { type: 'string', default: '15' }, engine: { type: 'string', default: FACE_ENGINES[0] } },
  });
  const fps = Number(values.fps);
  const engineName = values.engine as FaceEngineName;
  if (!FACE_ENGINES.includes(engineName)) throw new Error(`--engine must be one of ${FACE_ENGINES.join(', ')}`);
  const engine = createNamedFaceEngine(engineName, { workers: 1 });
  try {
    await engine.ready();
    mkdirSync(TRACE_DIR, { recursive: true });
    for (const file of clips(filters)) {
      const name = basename(file).replace(/(\.h264)?\.(mp4|avi)$/, '');
      const trace: Trace = { clip: basename(file), engine: engineName, fps, columns: [...TRACE_COLUMNS], frames: [] };
      for await (const frame of videoFrames(file, { fps })) {
        trace.frames.push(toTraceRow(await engine.analyze(frame, name)));
      }
      writeFileSync(join(TRACE_DIR, `${name}.json`), JSON.stringify(trace).replace(/\],\[/g, '],\n[') + '\n');
      console.log(JSON.stringify({ clip: name, frames: trace.frames.length, median_ms: engine.medianMs() }));
    }
  } finally {
    await engine.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
