import { EventObject, fromCallback, fromPromise } from 'xstate';
import type { CallbackPort, CallbackTarget, FlowOutcome } from '../callbacks/callback.port';
import { messageOf } from '../common/errors';
import type { Locales } from '../common/locales';
import type { FaceAnalysisPort } from '../face/face-analysis.port';
import type { ChallengePlugins } from '../liveness/liveness';
import { matchingScore } from '../liveness/liveness';
import { analysisNeeds } from '../liveness/challenge-registry';
import type { MatcherPort } from '../matcher/matcher.port';
import type { ReferenceImage, ReferencePort, ReferenceSource } from '../references/reference.port';
import type { RoomConnection, TransportPort } from '../transport/transport.port';
import type { LatestFrameGate } from './frame-gate';
import type { FlowLog } from '../observability/logger';
import type { DebugFrameWriter } from '../observability/debug-frames';
import type { LiveEvidence } from './live-evidence';
import type { FlowEvent, RoomCommand } from './flow.types';

/** Everything a flow's actors touch: the ports, and this flow's frame gate and evidence. */
export interface FlowDeps {
  transport: TransportPort;
  face: FaceAnalysisPort;
  references: ReferencePort;
  matcher: MatcherPort;
  callbacks: CallbackPort;
  plugins: ChallengePlugins;
  locales: Locales;
  displayName: string;
  frames: LatestFrameGate;
  evidence: LiveEvidence;
  log: FlowLog;
  /** DEBUG_SAVE_FRAMES only: receives the flow's images before they are released. */
  debugFrames?: DebugFrameWriter;
}

/** Consecutive analysis errors after which the face engine counts as broken for this flow. */
const MAX_ANALYSIS_ERRORS = 10;

/** The flow's side effects, each a named actor over one port. */
export function createFlowActors(deps: FlowDeps) {
  return {
    /** Joins the room for the whole flow; shows screens; leaves on LEAVE or when stopped. */
    room: fromCallback<RoomCommand, { flowId: string; wsUrl: string }, FlowEvent>(({ input, sendBack, receive }) => {
      const abort = new AbortController();
      /** Aborted when the machine stops the room: the leave is not waited for any longer. */
      const stopped = new AbortController();
      let connection: RoomConnection | undefined;
      let lastScreen: Extract<RoomCommand, { type: 'SHOW' }>['screen'] | undefined;
      let videoStarted = false;
      let leaving: Promise<void> | undefined;
      const leave = () =>
        (leaving ??= (async () => {
          abort.abort();
          await connection?.close(stopped.signal);
        })());
      deps.transport
        .join(
          { flowId: input.flowId, wsUrl: input.wsUrl, displayName: deps.displayName, log: deps.log },
          {
            // JOINED always comes first: video that starts during the join is told after it.
            onSubjectVideoStarted: () => {
              videoStarted = true;
              if (connection) sendBack({ type: 'SUBJECT_VIDEO_STARTED' });
            },
            onSubjectLeft: () => sendBack({ type: 'SUBJECT_LEFT' }),
            onFailed: (error) => sendBack({ type: 'TRANSPORT_FAILED', message: error.message }),
            onSubjectFrame: (frame) => deps.frames.publish(frame),
          },
          abort.signal,
        )
        .then(
          (joined) => {
            if (abort.signal.aborted) return void joined.close();
            connection = joined;
            sendBack({ type: 'JOINED' });
            if (lastScreen) joined.show(lastScreen);
            if (videoStarted) sendBack({ type: 'SUBJECT_VIDEO_STARTED' });
          },
          (error) => {
            if (!abort.signal.aborted) sendBack({ type: 'TRANSPORT_FAILED', message: messageOf(error) });
          },
        );
      receive((command) => {
        if (command.type === 'SHOW') {
          lastScreen = command.screen;
          connection?.show(command.screen);
        } else {
          leave()
            .catch((error) => deps.log.warn(`leaving the room failed: ${messageOf(error)}`))
            .finally(() => sendBack({ type: 'LEFT' }));
        }
      });
      return () => {
        stopped.abort();
        void leave().catch(() => undefined);
      };
    }),

    /** Analyses subject frames (latest frame wins) and keeps the best ones as live evidence. */
    watchFace: fromCallback<EventObject, { flowId: string; challengeIds: string[] }, FlowEvent>(({ input, sendBack }) => {
      let stopped = false;
      let errors = 0;
      const needs = analysisNeeds(deps.plugins, input.challengeIds);
      const stopConsuming = deps.frames.consume(async (frame) => {
        try {
          const observation = await deps.face.analyze(frame, input.flowId, needs);
          errors = 0;
          if (stopped) return;
          const score = observation.faceCount === 1 && observation.face ? matchingScore(observation.face) : undefined;
          if (score !== undefined) deps.evidence.offer(frame, score);
          sendBack({ type: 'FACE_OBSERVED', observation });
        } catch (error) {
          if (stopped) return;
          deps.log.warn(`face analysis failed: ${messageOf(error)}`);
          if (++errors === MAX_ANALYSIS_ERRORS) sendBack({ type: 'FACE_ENGINE_FAILED', message: messageOf(error) });
        }
      });
      return () => {
        stopped = true;
        stopConsuming();
      };
    }),

    fetchReferences: fromPromise<ReferenceImage[], ReferenceSource>(async ({ input, signal }) => {
      const set = await deps.references.fetch(input, signal);
      return set.usable;
    }),

    /** Compares the kept live frames with the references. */
    matchFaces: fromPromise(async ({ input, signal }: { input: { flowId: string; references: ReferenceImage[] }; signal: AbortSignal }) =>
      deps.matcher.compare(
        input.flowId,
        deps.evidence.images((f) => deps.face.toRgb(f)),
        input.references,
        signal,
      ),
    ),

    /** One attempt of the terminal callback. */
    sendCallback: fromPromise(
      async ({ input, signal }: { input: { target: CallbackTarget; outcome: FlowOutcome; attempt: number }; signal: AbortSignal }) =>
        deps.callbacks.send(input.target, input.outcome, input.attempt, signal),
    ),
  };
}
