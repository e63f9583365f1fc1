import { Logger } from '@nestjs/common';
import type { WebSocket } from 'ws';
import type { I420Frame, RawImage } from '../../../src/common/image';
import { VisionError } from '../../../src/common/errors';
import type { FaceAnalysisPort } from '../../../src/face/face-analysis.port';
import type { FaceObservation } from '../../../src/face/face-observation';
import { withTimeout } from '../../../src/common/deadline';
import { PendingRequests } from '../../../src/common/pending-requests';
import { assertI420, frameToRgb } from '../../../src/face/i420';
import { faceDefaults } from '../../../src/face/face.env';
import { AssetServer } from './asset-server';
import { ChromiumProcess } from './chromium';
import type { Rotation } from '../../../src/face/mediapipe/head-pose';
import { type MeshFace, toObservation } from '../../../src/face/mediapipe/mesh-observation';
import { MEDIAPIPE_SIGNALS } from '../../../src/face/mediapipe/mediapipe-face.engine';
import { encodeFrame, type PageFace, type PageMessage } from './page-protocol';

/** Settings of the engine (see face.env.ts). */
export interface TasksVisionFaceEngineConfig {
  /** Chromium binary; Debian's /usr/bin/chromium wrapper is bypassed for the real binary. */
  chromiumPath: string;
  /** Landmarkers kept in the page, one per concurrent stream. Default 2. */
  streams?: number;
  /** Faces counted per frame at most. Default 2 (enough to see "more than one"). */
  maxFaces?: number;
  /** Time for Chromium to load the page, wasm and model and warm up, ms. Default 60000. */
  startTimeoutMs?: number;
  /** Longest one frame may take before Chromium is considered stuck and restarted, ms. Default 10000. */
  frameTimeoutMs?: number;
  /** Extra Chromium flags (tests add a net log). */
  extraChromiumArgs?: readonly string[];
}

/** One Chromium with its loopback server and page socket. */
interface Session {
  server: AssetServer;
  chromium: ChromiumProcess;
  socket?: WebSocket;
  ready: Promise<void>;
  /** Set once ready: only a session that worked is restarted automatically when it dies. */
  up?: boolean;
}

/**
 * The reference the ONNX engine is tested against (test support, not production): FaceAnalysisPort on MediaPipe
 * Tasks' FaceLandmarker (@mediapipe/tasks-vision) in one headless Chromium. Frames
 * go to the page over a loopback WebSocket (the cheapest path measured: ~25 ms round trip vs 200+ ms with a
 * DevTools client attached), one landmarker per stream; the answer is mapped to the same FaceObservation as the
 * default engine. Chromium is restarted with a fresh profile if it dies.
 */
export class TasksVisionFaceEngine implements FaceAnalysisPort {
  private readonly logger = new Logger('TasksVisionFaceEngine');
  private readonly requests = new PendingRequests<FaceObservation, { frame: I420Frame }>(
    (message) => new VisionError('internal_error', message),
  );
  private session: Session;
  /** Chromium restarts after a crash or a stuck frame. */
  restarts = 0;
  /** Same observations as the default engine's. */
  readonly signals = MEDIAPIPE_SIGNALS;
  /** The faces of the last answered frame, landmarks and all (the parity test compares them). */
  lastFaces: MeshFace[] = [];

  private constructor(private readonly config: TasksVisionFaceEngineConfig) {
    this.session = this.startSession();
  }

  /** Starts Chromium; it loads the model and warms up in the background (await `ready()`). */
  static create(config: TasksVisionFaceEngineConfig): TasksVisionFaceEngine {
    return new TasksVisionFaceEngine(config);
  }

  /** Resolves once the page has loaded the model and run a warm-up detection. */
  ready(): Promise<void> {
    return this.session.ready;
  }

  /** Process id of the current Chromium (health checks, tests). */
  get chromiumPid(): number | undefined {
    return this.session.chromium?.pid;
  }

  /** Requests the current Chromium made to the loopback server (method and path), for the privacy test. */
  servedRequests(): readonly string[] {
    return this.session.server?.requests ?? [];
  }

  /** Analyses one frame; `stream` (e.g. the flow id) gets its own landmarker so face tracking stays per flow. */
  async analyze(frame: I420Frame, stream = ''): Promise<FaceObservation> {
    if (this.requests.closed) throw new VisionError('internal_error', 'face engine is closed');
    assertI420(frame);
    const session = await this.liveSession();
    return this.requests.add(
      { frame },
      (id) =>
        session.socket!.send(
          encodeFrame({ id, stream, width: frame.width, height: frame.height, timestampMs: frame.timestampMs }, frame.data),
        ),
      { ms: this.config.frameTimeoutMs ?? 10_000, message: 'face analysis timed out', onTimeout: () => this.stuck(session) },
    );
  }

  /** The frame as RGB, for keeping as live evidence. */
  toRgb(frame: I420Frame): RawImage {
    return frameToRgb(frame);
  }

  /** Quits Chromium and stops the loopback server; pending analyses reject. Idempotent. */
  async close(): Promise<void> {
    if (!this.requests.close('face engine closed')) return;
    await stopSession(this.session);
  }

  /** The running session, restarting Chromium if the last one died. */
  private async liveSession(): Promise<Session> {
    try {
      await this.session.ready;
    } catch {
      if (this.requests.closed) throw new VisionError('internal_error', 'face engine is closed');
      // The last start failed: try once more for this frame (a flow fails after repeated frame errors).
      this.restart('restart');
      await this.session.ready;
    }
    return this.session;
  }

  /** Replaces the session; frames in flight in the old one reject with `reason`. */
  private restart(reason: string): void {
    const old = this.session;
    this.requests.failAll(reason);
    this.restarts++;
    void stopSession(old);
    this.session = this.startSession();
  }

  private startSession(): Session {
    const session = {} as Session;
    session.ready = (async () => {
      let onSocket!: (socket: WebSocket) => void;
      const connected = new Promise<WebSocket>((resolve) => (onSocket = resolve));
      session.server = await AssetServer.create((socket) => onSocket(socket));
      session.chromium = ChromiumProcess.launch({
        executablePath: this.config.chromiumPath,
        url: session.server.pageUrl({ faces: this.config.maxFaces ?? 2, streams: this.config.streams ?? 2 }),
        extraArgs: this.config.extraChromiumArgs,
      });
      void session.chromium.whenExited().then(() => this.onExit(session));
      const started = (async () => {
        const socket = await connected;
        session.socket = socket;
        await new Promise<void>((resolve, reject) => {
          socket.on('message', (data, isBinary) => {
            if (isBinary) return;
            const message = JSON.parse(data.toString()) as PageMessage;
            if (message.type === 'ready') resolve();
            else if (message.type === 'failed') reject(new Error(`the landmarker page failed to start: ${message.message}`));
            else this.onReply(message);
          });
        });
      })();
      const exited = session.chromium.whenExited().then(() => {
        throw new Error(`Chromium exited while starting: ${session.chromium.recentOutput().slice(-500)}`);
      });
      try {
        const late = () => new Error('Chromium did not load the face landmarker in time');
        await withTimeout(Promise.race([started, exited]), this.config.startTimeoutMs ?? faceDefaults.startTimeoutMs, late);
        session.up = true;
      } catch (error) {
        void stopSession(session);
        throw new VisionError('internal_error', `MediaPipe face engine: ${error instanceof Error ? error.message : error}`);
      }
    })();
    session.ready.catch(() => undefined);
    return session;
  }

  private onReply(message: Extract<PageMessage, { id: number }>): void {
    const p = this.requests.take(message.id);
    if (!p) return;
    if (message.type === 'result') {
      this.lastFaces = message.faces.map((f) => meshFace(f, p.frame));
      p.resolve(toObservation(this.lastFaces, p.frame));
    } else p.reject(new VisionError('internal_error', `face analysis failed: ${message.message}`));
  }

  /** A frame got no answer in time (it was rejected): the page is stuck; restart Chromium (its exit fails the other frames). */
  private stuck(session: Session): void {
    if (session === this.session && !this.requests.closed) {
      this.logger.warn('a frame got no answer in time: restarting Chromium');
      this.restart('face analysis interrupted: Chromium restarted');
    }
  }

  private onExit(session: Session): void {
    if (this.requests.closed || session !== this.session || !session.up) return;
    this.logger.warn('Chromium exited unexpectedly: restarting it with a fresh profile');
    this.restart(`Chromium exited: ${session.chromium.recentOutput().slice(-300)}`);
  }
}

async function stopSession(session: Session): Promise<void> {
  await session.ready.catch(() => undefined);
  await Promise.all([session.chromium?.close(), session.server?.close()]);
}

/** A page face in frame pixels, its column-major 4x4 matrix as a row-major rotation. */
export function meshFace(face: PageFace, frame: { width: number; height: number }): MeshFace {
  const mesh: [number, number, number][] = [];
  const l = face.landmarks;
  for (let i = 0; i + 2 < l.length; i += 3) mesh.push([l[i] * frame.width, l[i + 1] * frame.height, l[i + 2] * frame.width]);
  const m = face.matrix;
  const rotation = [0, 1, 2].flatMap((r) => [0, 1, 2].map((c) => m[c * 4 + r] ?? (r === c ? 1 : 0))) as Rotation;
  // FaceLandmarker reports no per-face confidence: a face it returns passed its 0.5 presence threshold.
  return { mesh, blendshapes: face.blendshapes, rotation, score: 1 };
}
