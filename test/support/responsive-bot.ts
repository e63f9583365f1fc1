/**
 * A cooperative (or stubborn) subject: a camera that plays real clip frames, driven by a Choreography that reads
 * the current challenge from `GET /flows/{id}` (as a controller's UI could show it) and performs it by switching
 * to the clip segment where the person in the clip does that gesture. The camera is a SubjectBot (wrtc, encoding
 * live) or an encoded subject's peer (encoded-subject.ts, VP8 encoded once). Frames are decoded once per process
 * and kept in memory only.
 */
import { spawn } from 'node:child_process';
import type { I420Frame } from '../../src/common/image';
import type { FlowView } from '../../src/api/flow-view.dto';
import { videoFrames } from './video-frames';
import { fixture } from './fixtures';
import { SubjectBot } from './subject-bot';

/** A stretch of a clip, in seconds. */
export interface Segment {
  start: number;
  end: number;
}

/** A person of the fixture clips: a neutral stretch, the gestures they perform, and where a reference photo is. */
export interface Performer {
  /** File in fixtures/videos. */
  clip: string;
  /** Nothing passes on it (checked on the committed traces). */
  idle: Segment;
  /** Challenge id → the stretch that performs it, from a neutral lead-in (LABELS.md times, checked on traces). */
  challenges: Readonly<Record<string, Segment>>;
  /** A frame outside the played stretches, used as the genuine reference photo. */
  referenceAt: number;
}

/** The people of the fixture clips and what each can do (test/unit/challenge-traces.test.ts replays the same clips). */
export const PERFORMERS = {
  /** Lab capture: mouth open 2.0–2.5 s, eyes closed ≈3.0 s; the only clip with two challenges of one person. */
  d18: {
    clip: 'liveportrait_d18.mp4',
    idle: { start: 0, end: 0.5 },
    challenges: { 'open-close-mouth': { start: 1.6, end: 3.4 }, blink: { start: 2.6, end: 3.6 } },
    referenceAt: 5.0,
  },
  /** Webcam: eyes open 0–2.8 s, first blink ≈3.0 s. */
  viet: {
    clip: 'blink_webcam_viet281101.h264.mp4',
    idle: { start: 0, end: 2.8 },
    challenges: { blink: { start: 2.0, end: 4.0 } },
    referenceAt: 9.5,
  },
  /** Green screen: neutral 0–0.4 s, big smile 1.0–2.0 s, relaxed ≈2.5 s. */
  d0: { clip: 'liveportrait_d0.mp4', idle: { start: 0, end: 0.4 }, challenges: { smile: { start: 0, end: 3.1 } }, referenceAt: 3.0 },
  /** Webcam: turns right 7–8.5 s, left 9.5–11 s, frontal 12–13 s. */
  zubair: {
    clip: 'headturn_webcam_zubair_real.h264.mp4',
    idle: { start: 12, end: 13.3 },
    challenges: { 'turn-head-right': { start: 6, end: 8.8 }, 'turn-head-left': { start: 8.8, end: 12 } },
    referenceAt: 0.5,
  },
} satisfies Record<string, Performer>;

/** How the subject behaves: `cooperative` performs each challenge, `idle` stays neutral. */
export type Behaviour = 'cooperative' | 'idle';

export interface ResponsiveBotOptions {
  wsUrl: string;
  performer: Performer;
  behaviour?: Behaviour;
  /** Camera frame rate; default 15. */
  fps?: number;
}

/** Polling period of GET /flows/{id}. */
const POLL_MS = 150;

const decoded = new Map<string, Promise<I420Frame[]>>();

/** The frames of a stretch of a fixture clip, decoded once per process. */
export function segmentFrames(clip: string, segment: Segment, fps: number): Promise<I420Frame[]> {
  const key = `${clip}@${segment.start}-${segment.end}@${fps}`;
  let frames = decoded.get(key);
  if (!frames) {
    frames = (async () => {
      const out: I420Frame[] = [];
      const options = { fps, start: segment.start, duration: segment.end - segment.start, maxWidth: 640 };
      for await (const frame of videoFrames(fixture('videos', clip), options)) out.push(frame);
      if (out.length === 0) throw new Error(`no frames in ${clip} ${segment.start}-${segment.end} s`);
      return out;
    })();
    decoded.set(key, frames);
  }
  return frames;
}

/** One frame of a fixture clip as JPEG bytes, in memory (a "photo" of the person for the reference list). */
export async function clipStill(clip: string, atSeconds: number): Promise<Buffer> {
  const args = ['-v', 'error', '-ss', String(atSeconds), '-i', fixture('videos', clip), '-frames:v', '1'];
  const ffmpeg = spawn('ffmpeg', [...args, '-an', '-pix_fmt', 'yuvj420p', '-c:v', 'mjpeg', '-q:v', '3', '-f', 'image2pipe', 'pipe:1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: Buffer[] = [];
  let stderr = '';
  ffmpeg.stdout.on('data', (d: Buffer) => chunks.push(d));
  ffmpeg.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => ffmpeg.on('close', resolve));
  if (code !== 0 || chunks.length === 0) throw new Error(`ffmpeg could not take a still of ${clip} at ${atSeconds} s: ${stderr.trim()}`);
  return Buffer.concat(chunks);
}

/** What a subject can play: the neutral stretch and the stretch of each challenge, as frames of any form (raw or encoded). */
export interface Repertoire<F> {
  idle: F[];
  challenges: ReadonlyMap<string, F[]>;
}

/** Frames played forward then backward without repeating the ends, so looping it never makes the face jump. */
export function pingPong<F>(frames: F[]): F[] {
  return [...frames, ...frames.slice(1, -1).reverse()];
}

/** The raw frames of each of a performer's stretches at `fps`, the neutral one as a ping-pong loop. */
export async function rawRepertoire(performer: Performer, fps: number): Promise<Repertoire<I420Frame>> {
  const idle = pingPong(await segmentFrames(performer.clip, performer.idle, fps));
  const challenges = new Map<string, I420Frame[]>();
  for (const [id, segment] of Object.entries(performer.challenges)) challenges.set(id, await segmentFrames(performer.clip, segment, fps));
  return { idle, challenges };
}

/**
 * What the subject does: reads the flow from GET /flows/{id} and plays the stretch of the current challenge
 * (its neutral stretch otherwise), each as a loop from its first frame. Any camera can draw frames from it.
 */
export class Choreography<F> {
  /** The last view of the flow read from the service. */
  view?: FlowView;
  /** Challenge ids in the order the subject started performing them. */
  readonly performed: string[] = [];
  private playing: { id: string | null; frames: F[]; i: number };
  private poller?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly repertoire: Repertoire<F>,
    private readonly behaviour: Behaviour = 'cooperative',
  ) {
    this.playing = { id: null, frames: repertoire.idle, i: 0 };
  }

  /** Starts polling GET {serviceBaseUrl}/flows/{flowId} until the flow has an outcome or stop(). */
  follow(serviceBaseUrl: string, flowId: string): void {
    const poll = async () => {
      try {
        const res = await fetch(`${serviceBaseUrl}/flows/${encodeURIComponent(flowId)}`, { signal: AbortSignal.timeout(2000) });
        if (res.ok) this.onView((await res.json()) as FlowView);
      } catch {
        // the service is busy or gone: try again next period
      }
      if (!this.stopped && !this.view?.outcome) this.poller = setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.poller);
  }

  /** The frame to show now; a stretch switched to starts at its first frame, a stretch played through starts again. */
  next(): F {
    const p = this.playing;
    const frame = p.frames[p.i];
    p.i = (p.i + 1) % p.frames.length;
    return frame;
  }

  /** Makes the next frame the last one at or before it that `isStart` accepts (an encoded stream's key frame). */
  rewind(isStart: (frame: F) => boolean): void {
    const p = this.playing;
    while (p.i > 0 && !isStart(p.frames[p.i])) p.i--;
  }

  private onView(view: FlowView): void {
    this.view = view;
    const wanted = this.behaviour === 'idle' ? null : view.current_challenge;
    if (wanted === this.playing.id) return;
    const frames = wanted === null ? undefined : this.repertoire.challenges.get(wanted);
    if (wanted !== null && !frames) return; // a gesture this person never makes: keep doing what they do
    if (wanted !== null) this.performed.push(wanted);
    this.playing = { id: wanted, frames: frames ?? this.repertoire.idle, i: 0 };
  }
}

/** A room peer that shows a camera: SubjectBot (wrtc encoder) or EncodedPeer (pre-encoded VP8). */
export interface CameraPeer {
  close(): void;
}

/** The subject in the room: a camera peer fed by a Choreography. join(), then follow() the flow the service started for it. */
export class ResponsiveBot<P extends CameraPeer = SubjectBot> {
  private constructor(
    private readonly choreography: Choreography<unknown>,
    /** The underlying room peer (frames sent and received). */
    readonly bot: P,
  ) {}

  /** The performer's stretches decoded, then a wrtc SubjectBot that encodes them live, starting on the idle stretch. */
  static async join(options: ResponsiveBotOptions): Promise<ResponsiveBot> {
    const fps = options.fps ?? 15;
    const repertoire = await rawRepertoire(options.performer, fps);
    return ResponsiveBot.start(repertoire, options.behaviour, (next) =>
      SubjectBot.join({ wsUrl: options.wsUrl, fps, video: { kind: 'source', next } }),
    );
  }

  /** A subject whose camera peer (made by `camera`) draws its frames from the repertoire as the flow asks. */
  static async start<F, P extends CameraPeer>(
    repertoire: Repertoire<F>,
    behaviour: Behaviour | undefined,
    camera: (next: () => F, choreography: Choreography<F>) => Promise<P>,
  ): Promise<ResponsiveBot<P>> {
    const choreography = new Choreography(repertoire, behaviour);
    return new ResponsiveBot(choreography as Choreography<unknown>, await camera(() => choreography.next(), choreography));
  }

  /** The last view of the flow read from the service. */
  get view(): FlowView | undefined {
    return this.choreography.view;
  }

  /** Challenge ids in the order the bot started performing them. */
  get performed(): readonly string[] {
    return this.choreography.performed;
  }

  /** Starts polling GET {serviceBaseUrl}/flows/{flowId} until the flow has an outcome or the bot leaves. */
  follow(serviceBaseUrl: string, flowId: string): void {
    this.choreography.follow(serviceBaseUrl, flowId);
  }

  /** Leaves the room (as closing the browser tab does). Idempotent. */
  close(): void {
    this.choreography.stop();
    this.bot.close();
  }
}
