import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { I420Frame } from '../../src/common/image';
import { FaceLandmarker, type FaceTrack } from '../../src/face/mediapipe/landmarker';
import { headAngles, type MeshFace } from '../../src/face/mediapipe/mesh-observation';
import { videoFrames } from '../support/video-frames';
import { fixture } from '../support/fixtures';
import { TasksVisionFaceEngine } from '../support/tasks-vision/tasks-vision-face.engine';
import { CHROMIUM, skipWithoutChromium } from './support';

// The ONNX pipeline against MediaPipe's own FaceLandmarker (@mediapipe/tasks-vision in headless Chromium, VIDEO
// mode) on the same real clip frames: landmarks, blendshapes and head pose. The reference is asked for 2 faces, so
// with one face in view it runs its detector on every frame (tasks skip it only while they track numFaces faces);
// ours is compared twice: as the service runs it (tracking, detector every 500 ms) and detecting on every frame.

/** Per-frame differences between the two pipelines on one clip. */
interface Differences {
  /** Mean landmark distance over the inter-ocular distance (outer eye corners 33–263). */
  landmarks: number[];
  /** Largest absolute difference over the 52 blendshape scores. */
  blendshapes: number[];
  yawDeg: number[];
  pitchDeg: number[];
  /** Frames where only one of them saw a face. */
  disagreements: number;
}

const p95 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.95)] ?? Infinity;
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

function compare(ours: MeshFace, theirs: MeshFace, d: Differences): void {
  const eyes = Math.hypot(theirs.mesh[33][0] - theirs.mesh[263][0], theirs.mesh[33][1] - theirs.mesh[263][1]);
  d.landmarks.push(mean(ours.mesh.map((p, i) => Math.hypot(p[0] - theirs.mesh[i][0], p[1] - theirs.mesh[i][1]))) / eyes);
  d.blendshapes.push(Math.max(...Object.keys(theirs.blendshapes).map((k) => Math.abs((ours.blendshapes[k] ?? 0) - theirs.blendshapes[k]))));
  const a = headAngles(ours.rotation);
  const b = headAngles(theirs.rotation);
  d.yawDeg.push(Math.abs(a.yawDeg - b.yawDeg));
  d.pitchDeg.push(Math.abs(a.pitchDeg - b.pitchDeg));
}

/**
 * Clips at 10 fps and tolerances on the 95th percentile (measured p95 in brackets, tracked / detected). Frontal
 * faces: landmarks within 2 % of the eye distance (0.8–0.9 %), blendshapes within 0.25 (0.14–0.19: crops differ
 * by a few pixels), yaw/pitch within 7° (≤ 5.3°: our fit is orthographic, tasks-vision's perspective, which shifts
 * yaw for a face off the image centre); detected on every frame, landmarks within 1 % (0.5–0.6 %), blendshapes
 * 0.15 (0.08–0.09). Head tilts and turn at 6–9 s (both lose the face past ≈ 50° of yaw, 16 of 30 frames compared):
 * tracked, the crop follows the previous frame, 100 ms behind a head rolling 20° between frames, and the mesh on it
 * parts from the reference (at 6.1–6.3 s 10–12 % of the eye distance, 1–2 % detected): landmarks within 15 %
 * (12.0 %), blendshapes 0.9 (0.79), angles 14° (10.6°, 9.4°); detected, landmarks within 8 % (6.8 %), blendshapes
 * 0.7 (0.61), angles 12° (9.4°, 4.9°), and our detector alone misses 4 turned frames where the reference keeps the
 * face it tracked.
 */
const FRONTAL = {
  tracked: { landmarks: 0.02, blendshapes: 0.25, angleDeg: 7, disagreements: 2 },
  detected: { landmarks: 0.01, blendshapes: 0.15, angleDeg: 7, disagreements: 2 },
};
const CASES = [
  { file: 'blink_webcam_viet281101.h264.mp4', start: 0, duration: 4, minCompared: 38, ...FRONTAL },
  { file: 'liveportrait_d0.mp4', start: 0, duration: 3, minCompared: 28, ...FRONTAL },
  {
    file: 'headturn_webcam_zubair_real.h264.mp4',
    start: 6,
    duration: 3,
    minCompared: 12,
    tracked: { landmarks: 0.15, blendshapes: 0.9, angleDeg: 14, disagreements: 2 },
    detected: { landmarks: 0.08, blendshapes: 0.7, angleDeg: 12, disagreements: 4 },
  },
];

describe('ONNX pipeline vs tasks-vision FaceLandmarker on real clip frames', { skip: skipWithoutChromium, timeout: 10 * 60_000 }, () => {
  let reference: TasksVisionFaceEngine;
  let landmarker: FaceLandmarker;

  before(async () => {
    reference = TasksVisionFaceEngine.create({ chromiumPath: CHROMIUM, streams: 1 });
    [landmarker] = await Promise.all([FaceLandmarker.load({ detectorSkipMs: 500 }), reference.ready()]);
  });
  after(() => reference?.close());

  const noDifferences = (): Differences => ({ landmarks: [], blendshapes: [], yawDeg: [], pitchDeg: [], disagreements: 0 });

  function summary(clip: string, pipeline: string, frames: number, d: Differences) {
    return {
      clip,
      pipeline,
      frames,
      compared: d.landmarks.length,
      disagreements: d.disagreements,
      landmarks_p95: Number(p95(d.landmarks).toFixed(4)),
      blendshapes_p95: Number(p95(d.blendshapes).toFixed(3)),
      yaw_p95_deg: Number(p95(d.yawDeg).toFixed(1)),
      pitch_p95_deg: Number(p95(d.pitchDeg).toFixed(1)),
    };
  }

  /** Our tracked and our detected-on-every-frame pipelines against the reference, frame by frame. */
  async function differences(file: string, start: number, duration: number): Promise<{ tracked: Differences; detected: Differences }> {
    const tracked = noDifferences();
    const detected = noDifferences();
    const frames: I420Frame[] = [];
    for await (const f of videoFrames(fixture('videos', file), { fps: 10, start, duration })) frames.push(f);
    let track: FaceTrack | undefined;
    for (const frame of frames) {
      const analysed = await landmarker.faces(frame, track, false);
      track = analysed.track;
      const fresh = (await landmarker.faces(frame, undefined, false)).faces[0];
      await reference.analyze({ ...frame, data: frame.data.slice() }, file);
      const theirs = reference.lastFaces[0];
      for (const [ours, d] of [
        [analysed.faces[0], tracked],
        [fresh, detected],
      ] as const) {
        if (ours && theirs) compare(ours, theirs, d);
        else if (ours || theirs) d.disagreements++;
      }
    }
    console.log(JSON.stringify(summary(file, 'tracked', frames.length, tracked)));
    console.log(JSON.stringify(summary(file, 'detected', frames.length, detected)));
    return { tracked, detected };
  }

  for (const c of CASES) {
    test(`${c.file} ${c.start}–${c.start + c.duration} s: same faces, landmarks, blendshapes and head pose within tolerance`, async () => {
      const result = await differences(c.file, c.start, c.duration);
      for (const pipeline of ['tracked', 'detected'] as const) {
        const d = result[pipeline];
        const limit = c[pipeline];
        assert.ok(d.landmarks.length >= c.minCompared, `${pipeline}: compared ${d.landmarks.length} frames`);
        assert.ok(d.disagreements <= limit.disagreements, `${pipeline}: ${d.disagreements} frames with a face in only one pipeline`);
        assert.ok(p95(d.landmarks) < limit.landmarks, `${pipeline}: landmarks p95 ${p95(d.landmarks)}`);
        assert.ok(p95(d.blendshapes) < limit.blendshapes, `${pipeline}: blendshapes p95 ${p95(d.blendshapes)}`);
        assert.ok(
          p95(d.yawDeg) < limit.angleDeg && p95(d.pitchDeg) < limit.angleDeg,
          `${pipeline}: yaw ${p95(d.yawDeg)}, pitch ${p95(d.pitchDeg)}`,
        );
      }
    });
  }
});
