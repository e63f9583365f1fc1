import { assign, sendTo, setup } from 'xstate';
import type { FlowOutcome } from '../callbacks/callback.port';
import { CallbackError } from '../callbacks/callback.port';
import { FailureReason, messageOf, reasonOf } from '../common/errors';
import {
  advanceChallenge,
  allPassed,
  analysedTooSlowly,
  currentPassed,
  failCurrent,
  isStarted,
  observeFace,
  startLiveness,
} from '../liveness/liveness';
import type { MatchResult } from '../matcher/matcher.port';
import type { ReferenceImage } from '../references/reference.port';
import { createFlowActors, FlowDeps } from './flow.actors';
import { challengeScreen, statusScreen } from './flow-screen';
import type { FlowContext, FlowEvent, FlowFailure, FlowInput } from './flow.types';

/** The outcome the controller is told, from the flow's context. */
export function outcomeOf(context: FlowContext): FlowOutcome {
  return {
    status: context.failure ? 'failure' : 'success',
    reason: context.failure?.reason,
    challenges: context.liveness.challenges.map((c) => ({ id: c.id, passed: c.status === 'passed' })),
    match: context.match ? { distance: context.match.distance, threshold: context.match.threshold } : undefined,
  };
}

/**
 * One verification: join the room, instruct, run the challenges, fetch references, match, then report
 * exactly once and leave. Every ending that is not a match fails with a reason.
 */
export function createFlowMachine(deps: FlowDeps) {
  return setup({
    types: {
      context: {} as FlowContext,
      events: {} as FlowEvent,
      input: {} as FlowInput,
      output: {} as FlowOutcome,
    },
    actors: createFlowActors(deps),
    delays: {
      flowTimeout: ({ context }) => context.settings.flowTimeoutMs,
      joinTimeout: ({ context }) => context.settings.joinTimeoutMs,
      instruction: ({ context }) => context.settings.instructionMs,
      // Backstop of waitingForFace: the liveness runtime itself fails face_lost FACE_LOST_S after the last face seen
      // (frame timestamps, so slow analysis under load does not count against the subject); this catches no frame
      // analysed at all, or faces never steady, and allows a challenge's time on top.
      faceLost: ({ context }) => context.settings.liveness.faceLostMs + context.settings.challengeTimeoutMs,
      challengeTimeout: ({ context }) => context.settings.challengeTimeoutMs,
      callbackBackoff: ({ context }) => context.settings.callbackBackoffMs * 2 ** (context.callbackAttempts - 1),
      resultDisplay: ({ context }) => context.settings.resultDisplayMs,
      leaveTimeout: ({ context }) => context.settings.leaveTimeoutMs,
    },
    guards: {
      challengeStarted: ({ context }) => isStarted(context.liveness),
      livenessFailed: ({ context }) => context.liveness.failure !== undefined,
      challengePassed: ({ context }) => currentPassed(context.liveness),
      analysisTooSlow: ({ context }) => analysedTooSlowly(context.liveness, context.settings.challengeTimeoutMs, context.settings.liveness),
      allChallengesPassed: ({ context }) => allPassed(context.liveness),
      noUsableReference: ({ context }) => context.references.length === 0,
      noLiveEvidence: () => deps.evidence.size === 0,
      // The 2060 service leaves the room right after liveness: from then on the verdict needs no subject.
      livenessDoneWithEvidence: ({ context }) => allPassed(context.liveness) && deps.evidence.size > 0,
      facesMatch: ({ context }) => context.match?.match === true,
      matcherMayRetry: ({ context }) =>
        context.failure?.reason === 'matcher_unavailable' && context.matcherAttempts < context.settings.matcherAttempts,
      callbackMayRetry: ({ context }, params: { error: unknown }) =>
        !(params.error instanceof CallbackError && !params.error.retryable) &&
        context.callbackAttempts < context.settings.callbackMaxAttempts,
      roomGone: ({ context }) => context.roomGone,
    },
    actions: {
      fail: assign((_, params: FlowFailure) => ({ failure: params })),
      failWithError: assign((_, params: { error: unknown }) => ({
        failure: { reason: reasonOf(params.error), message: messageOf(params.error) },
      })),
      failWithLivenessReason: assign(({ context }) => ({
        failure: {
          reason: context.liveness.failure as FailureReason,
          message: `liveness failed during challenge ${context.liveness.current + 1}`,
        },
      })),
      clearFailure: assign({ failure: undefined }),
      markRoomGone: assign({ roomGone: true }),
      observe: assign(({ context }, params: { observation: Parameters<typeof observeFace>[1] }) => ({
        liveness: observeFace(context.liveness, params.observation, deps.plugins, context.settings.liveness),
      })),
      startNextChallenge: assign(({ context }) => ({
        liveness: advanceChallenge(context.liveness, deps.plugins),
        challengeStartedAt: Date.now(),
      })),
      startChallengeClock: assign({ challengeStartedAt: () => Date.now() }),
      failCurrentChallenge: assign(({ context }) => ({ liveness: failCurrent(context.liveness) })),
      keepReferences: assign((_, params: { references: ReferenceImage[] }) => ({ references: params.references })),
      keepMatch: assign((_, params: { match: MatchResult }) => ({ match: params.match })),
      countMatcherAttempt: assign(({ context }) => ({ matcherAttempts: context.matcherAttempts + 1 })),
      countCallbackAttempt: assign(({ context }) => ({ callbackAttempts: context.callbackAttempts + 1 })),
      markReported: assign({ reported: true }),
      saveDebugFrames: ({ context }) =>
        deps.debugFrames?.save(context.flowId, [
          ...deps.evidence.images((f) => deps.face.toRgb(f)).map((image, i) => ({ name: `live-${i}`, image })),
          ...context.references.map((r) => ({ name: `reference-${r.index}`, image: r.image })),
        ]),
      releaseEvidence: () => deps.evidence.clear(),
      forgetReferences: assign({ references: [] }),
      // The liveness identity is a face descriptor (a biometric template); finished flows stay listed without it.
      forgetIdentity: assign({ liveness: ({ context }) => ({ ...context.liveness, identity: undefined }) }),
      showWaiting: sendTo('room', ({ context }) => ({ type: 'SHOW' as const, screen: statusScreen('waiting', context, deps.locales) })),
      showInstructions: sendTo('room', ({ context }) => ({
        type: 'SHOW' as const,
        screen: statusScreen('instructing', context, deps.locales),
      })),
      showChallenge: sendTo('room', ({ context }) => ({
        type: 'SHOW' as const,
        screen: challengeScreen(context, deps.plugins, deps.locales, Date.now()),
      })),
      showProcessing: sendTo('room', ({ context }) => ({
        type: 'SHOW' as const,
        screen: statusScreen('processing', context, deps.locales),
      })),
      showVerdict: sendTo('room', ({ context }) => ({
        type: 'SHOW' as const,
        screen: statusScreen(context.failure ? 'not_verified' : 'verified', context, deps.locales),
      })),
      leaveRoom: sendTo('room', { type: 'LEAVE' as const }),
      logVerdict: ({ context }) =>
        context.failure
          ? deps.log.warn(`verdict: failure (${context.failure.reason}): ${context.failure.message}`)
          : deps.log.log(`verdict: success (distance ${context.match?.distance.toFixed(3)})`),
      logLeftAfterLiveness: () => deps.log.log('the subject left after the last challenge; going on to the verdict'),
      logCallbackError: ({ context }, params: { error: unknown }) =>
        deps.log.warn(`callback attempt ${context.callbackAttempts} failed: ${messageOf(params.error)}`),
      logCallbackGaveUp: ({ context }) =>
        deps.log.error(`callback not delivered after ${context.callbackAttempts} attempts; the controller was not told`),
    },
  }).createMachine({
    id: 'flow',
    description: 'One verification of one subject in one room',
    context: ({ input }) => ({
      ...input,
      liveness: startLiveness(input.challengeIds),
      references: [],
      matcherAttempts: 0,
      callbackAttempts: 0,
      roomGone: false,
      reported: false,
    }),
    invoke: { id: 'room', src: 'room', input: ({ context }) => ({ flowId: context.flowId, wsUrl: context.request.wsUrl }) },
    initial: 'verifying',
    states: {
      verifying: {
        description: 'Until the verdict: any of these events ends it with a failure',
        after: {
          flowTimeout: {
            target: 'finishing',
            actions: { type: 'fail', params: { reason: 'flow_timeout', message: 'the flow took too long' } },
          },
        },
        on: {
          SUBJECT_LEFT: [
            { guard: 'livenessDoneWithEvidence', actions: ['markRoomGone', 'logLeftAfterLiveness'] },
            {
              target: 'finishing',
              actions: ['markRoomGone', { type: 'fail', params: { reason: 'subject_left', message: 'the subject left the room' } }],
            },
          ],
          TRANSPORT_FAILED: {
            target: 'finishing',
            actions: ['markRoomGone', { type: 'fail', params: ({ event }) => ({ reason: 'transport_failed', message: event.message }) }],
          },
          FACE_ENGINE_FAILED: {
            target: 'finishing',
            actions: {
              type: 'fail',
              params: ({ event }) => ({ reason: 'internal_error', message: `face engine failed: ${event.message}` }),
            },
          },
          CANCEL: {
            target: 'finishing',
            actions: { type: 'fail', params: { reason: 'cancelled', message: 'cancelled by the controller' } },
          },
          SHUTDOWN: {
            target: 'finishing',
            actions: { type: 'fail', params: { reason: 'service_shutdown', message: 'the service is shutting down' } },
          },
        },
        initial: 'joining',
        states: {
          joining: {
            description: 'Joining the room and waiting for the subject video',
            entry: 'showWaiting',
            after: {
              joinTimeout: {
                target: '#flow.finishing',
                actions: { type: 'fail', params: { reason: 'no_subject_video', message: 'no subject video before the join timeout' } },
              },
            },
            on: { SUBJECT_VIDEO_STARTED: 'instructing' },
          },
          instructing: {
            description: 'Tells the subject what is going to happen',
            entry: 'showInstructions',
            after: { instruction: 'challenges' },
          },
          challenges: {
            description: 'The selected challenges, one after another, while the best frames are kept',
            invoke: {
              id: 'watchFace',
              src: 'watchFace',
              input: ({ context }) => ({ flowId: context.flowId, challengeIds: context.liveness.challenges.map((c) => c.id) }),
            },
            on: {
              FACE_OBSERVED: {
                actions: [{ type: 'observe', params: ({ event }) => ({ observation: event.observation }) }, 'showChallenge'],
              },
            },
            always: { guard: 'livenessFailed', target: '#flow.finishing', actions: ['failCurrentChallenge', 'failWithLivenessReason'] },
            initial: 'waitingForFace',
            states: {
              waitingForFace: {
                description: 'Until one face is steady in the frame',
                always: { guard: 'challengeStarted', target: 'running', actions: 'startChallengeClock' },
                after: {
                  faceLost: {
                    target: '#flow.finishing',
                    actions: { type: 'fail', params: { reason: 'face_lost', message: 'no steady face before the first challenge' } },
                  },
                },
              },
              running: {
                description: 'The current challenge, with its own timeout',
                always: [
                  { guard: 'allChallengesPassed', target: '#flow.verifying.fetchingReferences' },
                  { guard: 'challengePassed', target: 'running', reenter: true, actions: 'startNextChallenge' },
                ],
                after: {
                  // Too few analysed frames: the service (or the video) was too slow; do not blame the subject.
                  challengeTimeout: [
                    {
                      guard: 'analysisTooSlow',
                      target: '#flow.finishing',
                      actions: [
                        'failCurrentChallenge',
                        {
                          type: 'fail',
                          params: { reason: 'analysis_too_slow', message: 'too few frames were analysed during the challenge' },
                        },
                      ],
                    },
                    {
                      target: '#flow.finishing',
                      actions: [
                        'failCurrentChallenge',
                        { type: 'fail', params: { reason: 'challenge_timeout', message: 'the challenge was not completed in time' } },
                      ],
                    },
                  ],
                },
              },
            },
          },
          fetchingReferences: {
            description: 'GET /list/{token} and every image in it',
            entry: 'showProcessing',
            invoke: {
              src: 'fetchReferences',
              input: ({ context }) => ({
                flowId: context.flowId,
                token: context.request.token,
                callbackBaseUrl: context.request.callbackBaseUrl,
                datastoreBaseUrl: context.request.datastoreBaseUrl,
              }),
              onDone: {
                target: 'checkingEvidence',
                actions: { type: 'keepReferences', params: ({ event }) => ({ references: event.output }) },
              },
              onError: { target: '#flow.finishing', actions: { type: 'failWithError', params: ({ event }) => ({ error: event.error }) } },
            },
          },
          checkingEvidence: {
            description: 'Both sides of the comparison must exist',
            always: [
              {
                guard: 'noUsableReference',
                target: '#flow.finishing',
                actions: { type: 'fail', params: { reason: 'no_reference', message: 'no usable reference image' } },
              },
              {
                guard: 'noLiveEvidence',
                target: '#flow.finishing',
                actions: { type: 'fail', params: { reason: 'no_match', message: 'no frontal, sharp live frame was captured' } },
              },
              { target: 'matching' },
            ],
          },
          matching: {
            description: 'Compares the best live frames with the references',
            entry: 'countMatcherAttempt',
            invoke: {
              src: 'matchFaces',
              input: ({ context }) => ({ flowId: context.flowId, references: context.references }),
              onDone: { target: 'judging', actions: { type: 'keepMatch', params: ({ event }) => ({ match: event.output }) } },
              onError: { target: 'matcherFailed', actions: { type: 'failWithError', params: ({ event }) => ({ error: event.error }) } },
            },
          },
          matcherFailed: {
            description: 'An unreachable matcher gets one more try',
            always: [{ guard: 'matcherMayRetry', target: 'matching', actions: 'clearFailure' }, { target: '#flow.finishing' }],
          },
          judging: {
            always: [
              { guard: 'facesMatch', target: '#flow.finishing' },
              {
                target: '#flow.finishing',
                actions: {
                  type: 'fail',
                  params: ({ context }) => ({
                    reason: 'no_match',
                    message: `distance ${context.match?.distance.toFixed(3)} over ${context.match?.threshold}`,
                  }),
                },
              },
            ],
          },
        },
      },
      finishing: {
        description: 'The verdict is final: report it once and leave the room, side by side',
        type: 'parallel',
        entry: ['logVerdict', 'saveDebugFrames', 'releaseEvidence', 'forgetReferences', 'forgetIdentity'],
        states: {
          reporting: {
            initial: 'sending',
            states: {
              sending: {
                entry: 'countCallbackAttempt',
                invoke: {
                  src: 'sendCallback',
                  input: ({ context }) => ({
                    target: { flowId: context.flowId, token: context.request.token, callbackBaseUrl: context.request.callbackBaseUrl },
                    outcome: outcomeOf(context),
                    attempt: context.callbackAttempts,
                  }),
                  onDone: { target: 'reported', actions: 'markReported' },
                  onError: [
                    {
                      guard: { type: 'callbackMayRetry', params: ({ event }) => ({ error: event.error }) },
                      target: 'waitingToRetry',
                      actions: { type: 'logCallbackError', params: ({ event }) => ({ error: event.error }) },
                    },
                    {
                      target: 'gaveUp',
                      actions: [{ type: 'logCallbackError', params: ({ event }) => ({ error: event.error }) }, 'logCallbackGaveUp'],
                    },
                  ],
                },
              },
              waitingToRetry: { after: { callbackBackoff: 'sending' } },
              reported: { type: 'final' },
              gaveUp: { type: 'final' },
            },
          },
          leaving: {
            initial: 'showingVerdict',
            states: {
              showingVerdict: {
                entry: 'showVerdict',
                always: { guard: 'roomGone', target: 'closing' },
                on: { SUBJECT_LEFT: 'closing', TRANSPORT_FAILED: 'closing' },
                after: { resultDisplay: 'closing' },
              },
              closing: {
                entry: 'leaveRoom',
                on: { LEFT: 'left' },
                after: { leaveTimeout: 'left' },
              },
              left: { type: 'final' },
            },
          },
        },
        onDone: 'done',
      },
      done: { type: 'final' },
    },
    output: ({ context }) => outcomeOf(context),
  });
}

/** The machine type, for tests and the service. */
export type FlowMachine = ReturnType<typeof createFlowMachine>;
