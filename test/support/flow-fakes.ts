/** Test doubles of the flow's ports, for unit tests of the machine and the service only. */
import { CallbackError, CallbackPort, CallbackTarget, FlowOutcome } from '../../src/callbacks/callback.port';
import { VisionError } from '../../src/common/errors';
import type { I420Frame, RawImage } from '../../src/common/image';
import type { FaceAnalysisPort } from '../../src/face/face-analysis.port';
import type { FaceObservation, ObservedFace } from '../../src/face/face-observation';
import { MEDIAPIPE_SIGNALS } from '../../src/face/mediapipe/mediapipe-face.engine';
import { defineChallenge } from '../../src/liveness/challenge-definition';
import type { MatcherPort, MatchResult } from '../../src/matcher/matcher.port';
import type { ReferencePort, ReferenceSet } from '../../src/references/reference.port';
import type { InstructionScreen } from '../../src/render/instruction-screen';
import type { JoinRequest, RoomConnection, RoomListener, TransportPort } from '../../src/transport/transport.port';

export const tinyImage = (): RawImage => ({ width: 2, height: 2, channels: 3, data: new Uint8Array(12) });

export function frame(timestampMs: number): I420Frame {
  return { width: 4, height: 4, data: new Uint8Array(24), timestampMs };
}

/** A frontal, well-lit face; override what a test needs. */
export function face(overrides: Partial<ObservedFace> = {}): ObservedFace {
  return {
    box: { x: 200, y: 120, width: 200, height: 240 },
    score: 0.95,
    yawDeg: 0,
    pitchDeg: 0,
    rollDeg: 0,
    eyeOpenness: { left: 0.3, right: 0.3 },
    mouthOpenness: 0.01,
    smile: 0,
    quality: { faceShare: 0.15, brightness: 120, sharpness: 300 },
    ...overrides,
  };
}

/** A plugin that passes once the mouth opens wide: enough to drive the machine. */
export const fakeMouthChallenge = (id: string) =>
  defineChallenge<{ seen: number }>({
    id,
    instructionKey: 'challenge.open-close-mouth',
    needs: ['mouth'],
    thresholds: { open: { value: 0.5, unit: 'ratio', why: 'test double' } },
    initialState: () => ({ seen: 0 }),
    step: (state, input) => {
      const seen = input.face.mouthOpenness > 0.5 ? state.seen + 1 : state.seen;
      return { state: { seen }, progress: Math.min(seen / 2, 1), status: seen >= 2 ? 'passed' : 'running' };
    },
  });

export class FakeTransport implements TransportPort {
  listener?: RoomListener;
  requests: JoinRequest[] = [];
  shown: InstructionScreen[] = [];
  closes = 0;
  connections = 0;
  mode: 'join' | 'reject' | 'hang' = 'join';

  async join(request: JoinRequest, listener: RoomListener, signal: AbortSignal): Promise<RoomConnection> {
    this.requests.push(request);
    this.listener = listener;
    if (this.mode === 'reject') throw new VisionError('transport_failed', 'connection refused');
    if (this.mode === 'hang') {
      await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
    }
    this.connections++;
    return {
      show: (screen) => this.shown.push(screen),
      close: async () => {
        this.closes++;
      },
    };
  }
}

export class FakeFace implements FaceAnalysisPort {
  /** What the next analysed frame shows. */
  next: Omit<FaceObservation, 'timestampMs' | 'imageWidth' | 'imageHeight'> = { faceCount: 1, face: face() };
  analysed = 0;
  failing = false;
  readonly signals = MEDIAPIPE_SIGNALS;

  async ready(): Promise<void> {}

  async analyze(f: I420Frame): Promise<FaceObservation> {
    this.analysed++;
    if (this.failing) throw new Error('engine crashed');
    return { timestampMs: f.timestampMs, imageWidth: 640, imageHeight: 480, ...this.next };
  }

  toRgb(): RawImage {
    return tinyImage();
  }
}

export class FakeReferences implements ReferencePort {
  result: ReferenceSet | Error | 'hang' = { usable: [{ index: 0, kind: 'data_url', image: tinyImage() }], skipped: [] };
  calls = 0;
  /** When set, fetches wait for it before answering. */
  gate?: Promise<void>;

  async fetch(_source: unknown, signal: AbortSignal): Promise<ReferenceSet> {
    this.calls++;
    await this.gate;
    if (this.result === 'hang') {
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
    }
    if (this.result instanceof Error) throw this.result;
    return this.result;
  }
}

export class FakeMatcher implements MatcherPort {
  /** One answer per call; the last one repeats. */
  answers: (MatchResult | Error)[] = [matchResult(0.2)];
  liveCounts: number[] = [];

  async ready(): Promise<void> {}

  async compare(live: RawImage[]): Promise<MatchResult> {
    this.liveCounts.push(live.length);
    const answer = this.answers.length > 1 ? this.answers.shift()! : this.answers[0];
    if (answer instanceof Error) throw answer;
    return answer;
  }
}

export function matchResult(distance: number, threshold = 0.4): MatchResult {
  return {
    match: distance < threshold,
    distance,
    threshold,
    policy: 'median',
    pairs: [{ live: 0, reference: 0, distance }],
    referencesWithoutFace: [],
  };
}

export class FakeCallbacks implements CallbackPort {
  attempts: { target: CallbackTarget; outcome: FlowOutcome; attempt: number }[] = [];
  /** Errors for the first attempts, in order; later attempts succeed. */
  failures: Error[] = [];

  async send(target: CallbackTarget, outcome: FlowOutcome, attempt: number): Promise<void> {
    this.attempts.push({ target, outcome, attempt });
    const failure = this.failures.shift();
    if (failure) throw failure;
  }
}

export const retryable = () => new CallbackError('controller answered 503', true);
export const final = () => new CallbackError('controller answered 404', false);
