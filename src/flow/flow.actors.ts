import { assign, fromCallback, fromPromise, sendTo } from 'xstate';
import type { CallbackPort } from '../callbacks/callback.port';
import { messageOf } from '../common/errors';
import type { Locales } from '../common/locales';
import type { FaceAnalysisPort } from '../face/face-analysis.port';
import type { ChallengePlugins } from '../liveness/liveness';
import { advanceWhenPassed, matchingScore, observeFace } from '../liveness/liveness';
import { padScoreDue } from '../pad/pad-policy';
import type { MatcherPort } from '../matcher/matcher.port';
import type { ReferencePort } from '../references/reference.port';
import type { RoomConnection, TransportPort } from '../transport/transport.port';
import type { LatestFrameGate } from './frame-gate';
import type { FlowLog } from '../observability/logger';
import type { DebugFrameWriter } from '../observability/debug-frames';
import type { FlowBiometrics } from './flow-biometrics';
import type { FlowMachine } from './flow.machine';
import type { FlowEvent, RoomCommand } from './flow.types';
import { challengeScreen, statusScreen } from './flow-screen';

/** Everything a flow's actors and actions touch: the ports, and this flow's frame gate, biometric store and log. */
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
  biometrics: FlowBiometrics;
  log: FlowLog;
  /** DEBUG_SAVE_FRAMES only: receives the flow's images before they are released. */
  debugFrames?: DebugFrameWriter;
  /**
   * The clock of the countdown deadline (challenge.endsAtMs): Date.now, the clock the renderer's ticker draws
   * with, unless a test simulates time (then the same clock as XState's, for the machine's own timeouts).
   */
  now?: () => number;
}

/** What `flowMachine.provide` takes. */
export type FlowImplementations = Parameters<FlowMachine['provide']>[0];

/** The flow's side effects over its ports, for `flowMachine.provide(flowImplementations(deps))`. */
export function flowImplementations(deps: FlowDeps): FlowImplementations {
  const now = deps.now ?? Date.now;
  return {
    actors: {
      room: fromCallback(({ input, sendBack, receive }) => {
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
            { flowId: input.flowId, wsUrl: input.wsUrl, displayName: deps.displayName, log: deps.log.child('transport') },
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

      // Latest frame wins; the machine counts the errors and decides when the engine counts as broken.
      watchFace: fromCallback(({ input, sendBack }) => {
        let stopped = false;
        // Capture time of the last PAD-scored frame: a frame without one face is not scored, the next one is asked.
        let padScoredMs: number | undefined;
        const stopConsuming = deps.frames.consume(async (frame) => {
          let event: FlowEvent;
          try {
            const pad = input.padFps > 0 && padScoreDue(padScoredMs, frame.timestampMs, input.padFps);
            const observation = await deps.face.analyze(frame, input.flowId, { pad });
            if (stopped) return;
            if (observation.padScore !== undefined) padScoredMs = observation.timestampMs;
            const score = observation.faceCount === 1 && observation.face ? matchingScore(observation.face) : undefined;
            if (score !== undefined) deps.biometrics.offer(frame, score);
            event = { type: 'FACE_OBSERVED', observation, evidenceCount: deps.biometrics.evidenceCount };
          } catch (error) {
            if (stopped) return;
            event = { type: 'FACE_ANALYSIS_FAILED', message: messageOf(error) };
          }
          sendBack(event);
        });
        return () => {
          stopped = true;
          stopConsuming();
        };
      }),

      fetchReferences: fromPromise(async ({ input, signal }) => {
        const set = await deps.references.fetch(input, signal, deps.log.child('references'));
        // A fetch that ends after the flow moved on must not leave images behind.
        if (!signal.aborted) deps.biometrics.keepReferences(set.usable);
        return set.usable.length;
      }),

      matchFaces: fromPromise(async ({ input, signal }) =>
        deps.matcher.compare(
          deps.biometrics.liveImages((f) => deps.face.toRgb(f)),
          deps.biometrics.references,
          signal,
          deps.log.child('matcher'),
        ),
      ),

      sendCallback: fromPromise(async ({ input, signal }) =>
        deps.callbacks.send(input.target, input.outcome, input.attempt, signal, deps.log.child('callbacks')),
      ),
    },
    actions: {
      observe: assign(({ context }, params) => ({
        liveness: observeFace(context.liveness, params.observation, deps.plugins, context.settings.liveness),
      })),
      startNextChallenge: assign(({ context }) => ({ liveness: advanceWhenPassed(context.liveness, deps.plugins) })),
      startChallengeClock: assign(({ context }) => ({ challengeEndsAtMs: now() + context.settings.challengeTimeoutMs })),
      show: sendTo('room', ({ context }, params) => ({
        type: 'SHOW' as const,
        screen:
          params.phase === 'challenge'
            ? challengeScreen(context, deps.plugins, deps.locales)
            : statusScreen(params.phase, context, deps.locales),
      })),
      log: (_, params) => deps.log[params.level](params.message),
      saveDebugFrames: ({ context }) =>
        deps.debugFrames?.save(context.flowId, [
          ...deps.biometrics.liveImages((f) => deps.face.toRgb(f)).map((image, i) => ({ name: `live-${i}`, image })),
          ...deps.biometrics.references.map((r) => ({ name: `reference-${r.index}`, image: r.image })),
        ]),
      releaseBiometrics: () => deps.biometrics.clear(),
    },
  };
}
